// Does a live Swarm spec still say what Flotilla wrote? Docker stores the spec as sent but
// leaves out zero values (Go's omitempty) and turns network names into IDs, so the check
// walks what Flotilla wants and asks the live spec for the same value; a zero that Docker
// omitted counts as equal. What a person changed by hand (`docker service update --image`)
// shows up as the dotted path of the field, which plans print as the field diff.

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function isZero(v: unknown): boolean {
  return v === undefined || v === 0 || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0);
}

/** Paths in `want` whose value `have` does not hold (labels in `ignoreLabels` aside). */
export function differingPaths(want: unknown, have: unknown, path = '', ignore: ReadonlySet<string> = new Set()): string[] {
  if (ignore.has(path)) return [];
  if (isZero(want) && isZero(have)) return [];
  if (isRecord(want)) {
    if (!isRecord(have)) return [path || '.'];
    return Object.keys(want).flatMap((k) => differingPaths(want[k], have[k], path ? `${path}.${k}` : k, ignore));
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return [path];
    return want.some((w, i) => differingPaths(w, have[i], path, ignore).length > 0) ? [path] : [];
  }
  return want === have ? [] : [path];
}

/** Paths of `have` that `want` does not know of at all (labels added by hand, say), one level of records deep. */
export function addedKeys(want: Record<string, unknown>, have: Record<string, unknown>, path: string): string[] {
  return Object.keys(have).filter((k) => !(k in want)).map((k) => `${path}.${k}`);
}
