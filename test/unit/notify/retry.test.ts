import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, withRetries, type RetryPolicy } from '../../../src/notify/retry.js';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 8_000, maxTotalMs: 60_000 };

function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return { sleeps, deps: { now: () => now, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)), random: () => 0.5 } };
}

test('backoff doubles per attempt, stays within [step/2, step] and never exceeds the cap', () => {
  for (let attempt = 1; attempt <= 8; attempt++) {
    const step = Math.min(8_000, 1_000 * 2 ** (attempt - 1));
    assert.equal(backoffDelay(attempt, policy, () => 0), step / 2);
    assert.equal(backoffDelay(attempt, policy, () => 0.999999), Math.round(step * 0.9999995));
  }
  assert.equal(backoffDelay(20, policy, () => 0.5), 6_000);
});

test('a Retry-After longer than the backoff is honoured, but only up to the cap', () => {
  assert.equal(backoffDelay(1, policy, () => 0, 3_000), 3_000);
  assert.equal(backoffDelay(1, policy, () => 0, 3_600_000), 8_000);
});

test('retries a retryable failure until it succeeds', async () => {
  const { deps, sleeps } = fakeTime();
  let calls = 0;
  const outcome = await withRetries(async () => (++calls < 3 ? Promise.reject(new Error('down')) : 'ok'), () => ({ retryable: true }), policy, deps);
  assert.deepEqual({ ok: outcome.ok, value: outcome.value, attempts: outcome.attempts }, { ok: true, value: 'ok', attempts: 3 });
  assert.deepEqual(sleeps, [750, 1_500]);
});

test('gives up after maxAttempts without throwing, keeping the last error', async () => {
  const { deps, sleeps } = fakeTime();
  const outcome = await withRetries(async (n) => Promise.reject(new Error(`try ${n}`)), () => ({ retryable: true }), policy, deps);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.attempts, 5);
  assert.equal((outcome.error as Error).message, 'try 5');
  assert.equal(sleeps.length, 4);
});

test('does not retry a failure that retrying cannot fix', async () => {
  const { deps, sleeps } = fakeTime();
  const outcome = await withRetries(async () => Promise.reject(new Error('403')), () => ({ retryable: false }), policy, deps);
  assert.equal(outcome.attempts, 1);
  assert.deepEqual(sleeps, []);
});

test('stops when the next pause would end past maxTotalMs', async () => {
  const { deps, sleeps } = fakeTime();
  const outcome = await withRetries(async () => Promise.reject(new Error('slow')), () => ({ retryable: true }), { ...policy, maxAttempts: 100, maxTotalMs: 5_000 }, deps);
  assert.equal(outcome.ok, false);
  assert.ok(sleeps.reduce((a, b) => a + b, 0) <= 5_000, `slept ${sleeps.join('+')}`);
  assert.ok(outcome.attempts < 100);
});
