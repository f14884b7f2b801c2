// Exponential backoff with jitter, bounded both in attempts and in total time, so that a
// receiver that is down costs a few requests and then a logged, counted give-up, never an
// endless loop. "Equal jitter": half the exponential step is fixed, half random, so that
// many daemons retrying the same receiver spread out but none retries at once.
export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts later than this after the first try. */
  maxTotalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 30_000, maxTotalMs: 120_000 };

export interface RetryDeps {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1). */
  random(): number;
}

export interface RetryDecision {
  retryable: boolean;
  /** The receiver asked to wait at least this long (Retry-After). */
  afterMs?: number;
}

export interface RetryOutcome<T> {
  ok: boolean;
  value?: T;
  error?: unknown;
  attempts: number;
}

/** The pause before try `attempt + 1`, after `attempt` tries failed (attempt >= 1). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number, afterMs?: number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = step / 2 + random() * (step / 2);
  return Math.round(Math.min(policy.maxDelayMs, Math.max(jittered, afterMs ?? 0)));
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, runs out of tries, or
 * the next pause would end past `maxTotalMs`. Never throws: the outcome says what happened.
 */
export async function withRetries<T>(
  run: (attempt: number) => Promise<T>,
  classify: (error: unknown) => RetryDecision,
  policy: RetryPolicy,
  deps: RetryDeps,
): Promise<RetryOutcome<T>> {
  const started = deps.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await run(attempt), attempts: attempt };
    } catch (error) {
      const decision = classify(error);
      if (!decision.retryable || attempt >= policy.maxAttempts) return { ok: false, error, attempts: attempt };
      const delay = backoffDelay(attempt, policy, deps.random, decision.afterMs);
      if (deps.now() + delay - started > policy.maxTotalMs) return { ok: false, error, attempts: attempt };
      await deps.sleep(delay);
    }
  }
}
