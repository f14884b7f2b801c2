// The `flotilla.files` label: each delivered config's and secret's digest, by name. It puts
// the files into the spec hash (a changed file rolls the service) and lets a plan say which
// file changed, without any content: config digests are sha256, secret digests keyed HMACs.
import type { DeliveredFile } from '../../manifests/model.js';

/** JSON of `{"<kind> <name>": digest}`, keys sorted so equal files give an equal label. */
export function filesLabel(files: readonly DeliveredFile[]): string {
  const digests: Record<string, string> = {};
  for (const key of files.map((f) => `${f.kind} ${f.name}`).sort()) {
    digests[key] = (files.find((f) => `${f.kind} ${f.name}` === key) as DeliveredFile).digest;
  }
  return JSON.stringify(digests);
}

/** "config nginx.conf changed", "secret db_password added", ... between two labels (either may be absent). */
export function describeFileChanges(oldLabel: string | undefined, newLabel: string | undefined): string[] {
  const before = parse(oldLabel);
  const after = parse(newLabel);
  const out: string[] = [];
  for (const [key, digest] of Object.entries(after)) {
    if (!(key in before)) out.push(`${key} added`);
    else if (before[key] !== digest) out.push(`${key} changed`);
  }
  for (const key of Object.keys(before)) if (!(key in after)) out.push(`${key} removed`);
  return out;
}

function parse(label: string | undefined): Record<string, string> {
  if (!label) return {};
  try {
    const value = JSON.parse(label) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : {};
  } catch {
    // A label edited out of band is drift like any other; it just names no file.
    return {};
  }
}

/** "env DB_PASSWORD <secret changed>" per variable from an encrypted file: names only, never values. */
export function describeSealedEnvChanges(oldLabel: string | undefined, newLabel: string | undefined): string[] {
  const before = parse(oldLabel);
  const after = parse(newLabel);
  const out: string[] = [];
  for (const [key, digest] of Object.entries(after)) {
    if (!(key in before)) out.push(`env ${key} <secret added>`);
    else if (before[key] !== digest) out.push(`env ${key} <secret changed>`);
  }
  for (const key of Object.keys(before)) if (!(key in after)) out.push(`env ${key} <secret removed>`);
  return out;
}
