// Safe reads from untrusted JSON: a payload that lacks a field or has the wrong type gives
// undefined, never an exception, so a strange delivery is ignored rather than a 500.

/** The value at `path` (object keys, own properties only), or undefined. */
export function at(value: unknown, ...path: string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function str(value: unknown, ...path: string[]): string | undefined {
  const v = at(value, ...path);
  return typeof v === 'string' ? v : undefined;
}

/** A positive integer, also when sent as a string of digits (some forges quote ids). */
export function positiveInt(value: unknown, ...path: string[]): number | undefined {
  const v = at(value, ...path);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export function bool(value: unknown, ...path: string[]): boolean | undefined {
  const v = at(value, ...path);
  return typeof v === 'boolean' ? v : undefined;
}

/** The strings among the given values (absent and non-string ones dropped). */
export function strings(...values: unknown[]): string[] {
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/** A full commit id (40 hex digits, or 64 for SHA-256 repositories). */
export function isCommitId(value: string | undefined): value is string {
  return value !== undefined && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(value);
}

export const ZERO_COMMIT = /^0+$/;

/** A sender-chosen string for a message: quoted and cut short. */
export function quote(value: string | undefined): string {
  return JSON.stringify((value ?? 'none').slice(0, 60));
}
