// The `code` of any error a reconcile can end with, for status, logs and metrics. Errors
// of our own carry one; anything else is "INTERNAL" so it stands out.
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z_]+$/.test(code)) return code;
  // Node's errno codes also look like ours; these two mean the state dir's disk, whatever
  // wrote to it (the state file, the Git cache), and a person should see that first.
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'DISK_FULL';
  return 'INTERNAL';
}
