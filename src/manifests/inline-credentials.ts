// Registry credentials pasted into a Compose file's `x-` extension keys (where tools that
// wrap Compose sometimes keep a `registry: {username, password}` block, or a whole
// config.json `auths`) are refused: the file is in Git, readable by everyone who can clone
// it. Only keys that can mean nothing but a credential are matched, so an `x-` anchor of
// ordinary settings is never caught; a value such as `${REGISTRY_PASSWORD}` is interpolated
// from the stack's .env (which is in Git too), so it is refused as well.
import type { ManifestProblem } from './problems.js';
import type { JsonPath, YamlSource } from './yaml-source.js';

const CREDENTIAL_KEY = /^(password|passwd|registry[_-]?password|identitytoken|identity_token|registrytoken|registry_token)$/i;
/** Deeper than any real extension block; bounds the walk on hostile input. */
const MAX_DEPTH = 16;

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

export function inlineCredentialProblems(source: YamlSource): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const root = isRecord(source.value) ? source.value : {};
  const roots: Array<[JsonPath, unknown]> = Object.entries(root).filter(([k]) => k.startsWith('x-')).map(([k, v]) => [[k], v]);
  for (const [name, service] of Object.entries(isRecord(root.services) ? root.services : {})) {
    if (!isRecord(service)) continue;
    for (const [k, v] of Object.entries(service)) if (k.startsWith('x-')) roots.push([['services', name, k], v]);
  }
  for (const [path, value] of roots) walk(source, path, value, 0, problems);
  return problems;
}

function walk(source: YamlSource, path: JsonPath, value: unknown, depth: number, problems: ManifestProblem[]): void {
  if (depth > MAX_DEPTH) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(source, [...path, i], item, depth + 1, problems));
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const here = [...path, key];
    const credential = (CREDENTIAL_KEY.test(key) && typeof child === 'string' && child !== '') || (key === 'auths' && isRecord(child));
    if (credential) {
      problems.push(source.problem(here, `\`${here.join('.')}\` holds a credential written in Git, where everyone who can read the repository sees it; registry credentials belong in a file on the controller's machine, named by spec.registries[].auth.file in cluster.yaml`, 'key'));
      continue;
    }
    walk(source, here, child, depth + 1, problems);
  }
}
