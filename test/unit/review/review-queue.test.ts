import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescingQueue } from '../../../src/review/review-queue.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

test('runs one item at a time and folds items of a key not yet started into the newest', async () => {
  const ran: string[] = [];
  let running = 0;
  const first = gate();
  const q = new CoalescingQueue<string>(async (item) => {
    running++;
    assert.equal(running, 1, 'never two at once');
    if (item === 'pr1@a') await first.opened;
    ran.push(item);
    running--;
  }, () => assert.fail('no errors expected'));
  q.push('pr1', 'pr1@a');
  q.push('pr2', 'pr2@a');
  q.push('pr1', 'pr1@b');
  q.push('pr2', 'pr2@b');
  q.push('pr1', 'pr1@c');
  first.open();
  await q.idle();
  // pr1@a was already running; pr2 kept its place in line, with its newest item.
  assert.deepEqual(ran, ['pr1@a', 'pr2@b', 'pr1@c']);
});

test('an item that fails is reported and the queue goes on', async () => {
  const errors: string[] = [];
  const ran: string[] = [];
  const q = new CoalescingQueue<string>(async (item) => {
    if (item === 'bad') throw new Error('boom');
    ran.push(item);
  }, (err, item) => errors.push(`${item}: ${(err as Error).message}`));
  q.push('a', 'bad');
  q.push('b', 'good');
  await q.idle();
  assert.deepEqual(errors, ['bad: boom']);
  assert.deepEqual(ran, ['good']);
});

test('is bounded: past its capacity new keys are refused, known keys still replace', async () => {
  const hold = gate();
  const q = new CoalescingQueue<string>(async () => hold.opened, () => undefined, 2);
  assert.equal(q.push('running', 'x'), true);
  assert.equal(q.push('a', '1'), true);
  assert.equal(q.push('b', '1'), true);
  assert.equal(q.push('c', '1'), false);
  assert.equal(q.push('a', '2'), true);
  assert.equal(q.size, 2);
  hold.open();
  await q.stop();
  assert.equal(q.push('d', '1'), false, 'stopped');
});
