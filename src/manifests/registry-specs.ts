// spec.registries of cluster.yaml: which file on the controller's machine holds the
// credentials of which registry host. Credentials themselves never belong in Git: a
// username, password, token or Docker `auth` written into cluster.yaml is refused like a
// policy violation, so the config repo's CI catches it before merge. Two entries for one
// registry (Docker Hub's aliases count as one) would make the choice of credential a guess.
import { normalizeRegistryHost } from '../docker/registry/image-host.js';
import type { RegistrySpec } from './model.js';
import type { ManifestProblem } from './problems.js';
import type { YamlSource } from './yaml-source.js';

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keys that would carry a registry credential. */
export const CREDENTIAL_KEYS = ['username', 'password', 'token', 'auth', 'identitytoken', 'registrytoken'] as const;

const INLINE = 'registry credentials must not be written in Git, where everyone with read access sees them: put them in a file on the controller\'s machine (a Docker config.json or {"username", "password"}) and name it with `auth.file`';

export function normalizeRegistries(source: YamlSource, problems: ManifestProblem[], list: unknown): RegistrySpec[] {
  if (!Array.isArray(list)) return [];
  const out: RegistrySpec[] = [];
  const first = new Map<string, number>();
  list.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    const auth = isRecord(entry.auth) ? entry.auth : {};
    for (const key of CREDENTIAL_KEYS) {
      if (key !== 'auth' && key in entry) problems.push(source.problem(['spec', 'registries', i, key], `\`${key}\` in spec.registries: ${INLINE}`, 'key'));
      if (key in auth) problems.push(source.problem(['spec', 'registries', i, 'auth', key], `\`auth.${key}\` in spec.registries: ${INLINE}`, 'key'));
    }
    if (typeof entry.host !== 'string' || typeof auth.file !== 'string') return;
    const host = normalizeRegistryHost(entry.host);
    const earlier = first.get(host);
    if (earlier !== undefined) {
      const line = source.locate(['spec', 'registries', earlier, 'host']).line;
      problems.push(source.problem(['spec', 'registries', i, 'host'], `registry ${host} is already listed (line ${line}); list each registry once`));
      return;
    }
    first.set(host, i);
    out.push({ host: entry.host, auth: { file: auth.file } });
  });
  return out;
}
