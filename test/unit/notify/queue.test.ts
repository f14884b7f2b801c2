import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryQueue } from '../../../src/notify/queue.js';

test('push returns before any work runs, and items are worked in order', async () => {
  const done: number[] = [];
  const queue = new DeliveryQueue<number>(10, async (n) => void done.push(n), () => assert.fail('nothing is dropped'));
  queue.push(1);
  queue.push(2);
  assert.deepEqual(done, []);
  assert.equal(await queue.idle(1_000), true);
  assert.deepEqual(done, [1, 2]);
});

test('when full, the oldest waiting item is dropped and reported', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const done: number[] = [];
  const dropped: number[] = [];
  const queue = new DeliveryQueue<number>(2, async (n) => {
    await gate;
    done.push(n);
  }, (n) => dropped.push(n));
  queue.push(1);
  await Promise.resolve();
  await Promise.resolve();
  for (const n of [2, 3, 4, 5]) queue.push(n);
  assert.deepEqual(dropped, [2, 3]);
  release();
  await queue.idle(1_000);
  assert.deepEqual(done, [1, 4, 5]);
});

test('a failing item does not stop the worker', async () => {
  const done: number[] = [];
  const queue = new DeliveryQueue<number>(10, async (n) => {
    if (n === 1) throw new Error('boom');
    done.push(n);
  }, () => undefined);
  queue.push(1);
  queue.push(2);
  await queue.idle(1_000);
  assert.deepEqual(done, [2]);
});

test('idle gives up after its timeout while work is stuck', async () => {
  const queue = new DeliveryQueue<number>(10, () => new Promise(() => undefined), () => undefined);
  queue.push(1);
  assert.equal(await queue.idle(30), false);
});
