import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Debouncer } from '../../../src/sync/debounce.js';
import { ManualClock } from './manual-clock.js';

const POLICY = { quietMs: 250, maxWaitMs: 1_000 };

function harness(): { clock: ManualClock; fired: Array<{ at: number; reasons: string[] }>; debouncer: Debouncer } {
  const clock = new ManualClock();
  const fired: Array<{ at: number; reasons: string[] }> = [];
  const debouncer = new Debouncer(clock, POLICY, (reasons) => fired.push({ at: clock.now(), reasons }));
  return { clock, fired, debouncer };
}

test('the die and destroy of one docker rm -f fire once, a quiet period after the last', async () => {
  const { clock, fired, debouncer } = harness();
  debouncer.push('docker-event:node-a');
  await clock.advance(40);
  debouncer.push('docker-event:node-a');
  await clock.advance(200);
  assert.equal(fired.length, 0, 'still inside the quiet period of the second event');
  await clock.advance(100);
  assert.deepEqual(fired, [{ at: 290, reasons: ['docker-event:node-a'] }]);
});

test('a storm of 125 events over two and a half seconds fires three times, not 125', async () => {
  const { clock, fired, debouncer } = harness();
  for (let i = 0; i < 125; i++) {
    debouncer.push(`docker-event:node-${i % 2 === 0 ? 'a' : 'b'}`);
    await clock.advance(20);
  }
  await clock.advance(1_000);
  // Every max wait (1 s) during the storm, then once after it went quiet.
  assert.deepEqual(fired.map((f) => f.at), [1_000, 2_000, 2_730]);
  assert.deepEqual(fired[0]?.reasons, ['docker-event:node-a', 'docker-event:node-b']);
});

test('an event after a fire starts a new burst', async () => {
  const { clock, fired, debouncer } = harness();
  debouncer.push('x');
  await clock.advance(300);
  debouncer.push('y');
  await clock.advance(300);
  assert.deepEqual(fired, [{ at: 250, reasons: ['x'] }, { at: 550, reasons: ['y'] }]);
});

test('cancel drops what is pending and ignores later events', async () => {
  const { clock, fired, debouncer } = harness();
  debouncer.push('x');
  debouncer.cancel();
  debouncer.push('y');
  await clock.advance(5_000);
  assert.deepEqual(fired, []);
  assert.equal(clock.pendingSleepers, 0);
});

test('a hint that ends its sequence fires after its own shorter quiet period', async () => {
  const { clock, fired, debouncer } = harness();
  debouncer.push('docker-event:node-a'); // die: more may follow
  await clock.advance(100);
  debouncer.push('docker-event:node-a', 50); // destroy: the sequence is over
  await clock.advance(49);
  assert.equal(fired.length, 0);
  await clock.advance(1);
  assert.deepEqual(fired, [{ at: 150, reasons: ['docker-event:node-a'] }]);
});
