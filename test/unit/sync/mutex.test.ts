import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedMutex, SingleFlight } from '../../../src/sync/mutex.js';

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('KeyedMutex runs one function per key at a time, in arrival order', async () => {
  const mutex = new KeyedMutex();
  const log: string[] = [];
  const gate = deferred();
  const a = mutex.run('/cache/x', async () => {
    log.push('a start');
    await gate.promise;
    log.push('a end');
  });
  const b = mutex.run('/cache/x', async () => {
    log.push('b');
  });
  const other = mutex.run('/cache/y', async () => {
    log.push('other key');
  });
  await other;
  assert.deepEqual(log, ['a start', 'other key']);
  assert.ok(mutex.busy('/cache/x'));
  gate.resolve();
  await Promise.all([a, b]);
  assert.deepEqual(log, ['a start', 'other key', 'a end', 'b']);
  await new Promise((r) => setImmediate(r));
  assert.equal(mutex.busy('/cache/x'), false, 'an idle key is forgotten');
});

test('KeyedMutex: a failed run releases the lock and its error goes to its own caller only', async () => {
  const mutex = new KeyedMutex();
  const first = mutex.run('k', async () => {
    throw new Error('boom');
  });
  const second = mutex.run('k', async () => 'ok');
  await assert.rejects(first, /boom/);
  assert.equal(await second, 'ok');
});

test('SingleFlight: concurrent callers share one in-flight call; a later call starts a new one', async () => {
  const flights = new SingleFlight<number>();
  let calls = 0;
  const gate = deferred();
  const run = (): Promise<number> =>
    flights.run('fetch', async () => {
      calls++;
      await gate.promise;
      return calls;
    });
  const [p1, p2, p3] = [run(), run(), run()];
  assert.equal(p1, p2);
  assert.equal(p2, p3);
  gate.resolve();
  assert.deepEqual(await Promise.all([p1, p2, p3]), [1, 1, 1]);
  assert.equal(await run(), 2);
  assert.equal(calls, 2);
});

test('SingleFlight: a failure is shared by the callers in flight and not remembered', async () => {
  const flights = new SingleFlight<string>();
  const gate = deferred<string>();
  let calls = 0;
  const run = (): Promise<string> =>
    flights.run('fetch', () => {
      calls++;
      return calls === 1 ? gate.promise : Promise.resolve('second');
    });
  const a = run();
  const b = run();
  gate.reject(new Error('unreachable'));
  await assert.rejects(a, /unreachable/);
  await assert.rejects(b, /unreachable/);
  assert.equal(await run(), 'second');
});
