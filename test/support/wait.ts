// Polling with a deadline, for conditions that real daemons reach asynchronously.
import { sleep } from './exec.js';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns something other than undefined (a thrown error counts as
 * "not yet"); on timeout the error names `what` and the last failure seen.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = 'condition not met yet';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    await sleep(opts.intervalMs ?? 200);
  }
}

/** GET a URL with a timeout; resolves with status and body. */
export async function httpGet(url: string, timeoutMs = 3_000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}
