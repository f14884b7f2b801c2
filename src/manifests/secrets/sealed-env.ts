// Environment values that came out of encrypted files. They must reach the container in clear
// (that is what they are for) but nothing else: each such variable gets a keyed digest
// (HMAC under the cluster's secret-digest key), and the spec hash, the container label
// `flotilla.sealed-env` and the plan use the digest, never the value.
import { createHmac } from 'node:crypto';
import { parse } from 'yaml';
import type { ManifestProblem } from '../problems.js';
import type { ServiceSpec } from '../model.js';

/** A decrypted YAML/JSON env_file: its top-level scalars become variables, as Flux's SOPS env files are used. */
export function envFromStructured(file: string, text: string, problems: ManifestProblem[]): Map<string, string> {
  const out = new Map<string, string>();
  const value: unknown = parse(text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    problems.push({ file, line: 1, col: 1, pointer: '', message: `${file}: a YAML/JSON env_file must be a mapping of NAME: value` });
    return out;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object') {
      problems.push({ file, line: 1, col: 1, pointer: `/${key}`, message: `${file}: ${key} is a nested value; an env_file holds NAME: value pairs only` });
      continue;
    }
    out.set(key, v === null ? '' : String(v));
  }
  return out;
}

/**
 * The variables of `environment` whose value is, or contains, a value from an encrypted file,
 * with their keyed digests. Containment (not equality) catches `URL=postgres://u:${PW}@db`.
 */
export function sealedEnvironment(environment: Record<string, string>, secretValues: ReadonlySet<string>, digestKey: Buffer): Record<string, string> | undefined {
  if (secretValues.size === 0) return undefined;
  const sealed: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (value === '' || ![...secretValues].some((s) => value.includes(s))) continue;
    sealed[name] = createHmac('sha256', digestKey).update(`env\0${name}\0${value}`).digest('hex').slice(0, 16);
  }
  return Object.keys(sealed).length > 0 ? sealed : undefined;
}

/** Values worth looking for: an empty string is in everything. */
export function addSecretValues(into: Set<string>, values: Iterable<string>): void {
  for (const v of values) if (v !== '') into.add(v);
}

/** `{"NAME": digest}`, names sorted, so equal values give an equal label. */
export function sealedEnvLabel(sealed: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.keys(sealed).sort().map((k) => [k, sealed[k]])));
}

/**
 * Names of the service's fields, other than `environment`, that would carry a value of an
 * encrypted file in clear (interpolated into a label, a command, an image tag...): labels and
 * commands are readable by anyone with access to the node, so such a commit is refused.
 * Values under 4 characters are not looked for: they would match by chance.
 */
export function secretOutsideEnvironment(service: ServiceSpec, secretValues: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const values = [...secretValues].filter((v) => v.length >= 4);
  if (values.length === 0) return found;
  for (const [key, value] of Object.entries(service)) {
    if (key === 'environment' || key === 'sealedEnv' || key === 'files' || value === undefined) continue;
    const text = JSON.stringify(value);
    if (values.some((v) => text.includes(JSON.stringify(v).slice(1, -1)))) found.push(key);
  }
  return found;
}
