import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TriggerQueue, type TriggerRun } from '../../../src/sync/trigger-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('requests that arrive during a run are coalesced into one follow-up run', async () => {
  const runs: string[][] = [];
  const gate = deferred();
  const queue = new TriggerQueue(async ({ reasons }: TriggerRun) => {
    runs.push(reasons);
    if (runs.length === 1) await gate.promise;
  }, 5000, (err) => assert.fail(String(err)));
  queue.request('poll');
  queue.request('webhook');
  queue.request('api');
  queue.request('webhook');
  gate.resolve();
  await queue.idle();
  assert.deepEqual(runs, [['poll'], ['webhook', 'api']]);
});

test('a run that throws is reported and the queue keeps serving', async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const queue = new TriggerQueue(async () => {
    calls++;
    if (calls === 1) throw new Error('boom');
  }, 5000, (err) => errors.push(err));
  queue.request('a');
  await queue.idle();
  queue.request('b');
  await queue.idle();
  assert.equal(calls, 2);
  assert.equal((errors[0] as Error).message, 'boom');
});

test('each run gets a signal that aborts after the per-reconcile timeout', async () => {
  let aborted = false;
  const queue = new TriggerQueue(({ signal }) => new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => { aborted = true; resolve(); });
  }), 30, () => {});
  queue.request('slow');
  await queue.idle();
  assert.equal(aborted, true);
});

test('stop with abort cancels the current run and refuses new requests', async () => {
  let runs = 0;
  const queue = new TriggerQueue(({ signal }) => {
    runs++;
    return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
  }, 60_000, () => {});
  queue.request('a');
  await queue.stop(true);
  queue.request('b');
  await queue.idle();
  assert.equal(runs, 1);
  assert.equal(queue.busy, false);
});
