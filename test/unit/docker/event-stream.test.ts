import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, type Readable } from 'node:stream';
import { backoffDelayMs, DEFAULT_BACKOFF, ReconnectingEventStream, type StreamState } from '../../../src/docker/event-stream.js';
import { parseEngineEvent, type EngineEvent, type EngineEventSource, type EventFilters } from '../../../src/docker/engine-events.js';
import { ManualClock, settle } from '../sync/manual-clock.js';

const POLICY = { initialMs: 500, maxMs: 15_000, stableMs: 10_000 };

/** A node whose stream opens or fails as the test scripts it; each open hands back a stream the test writes to. */
class ScriptedSource implements EngineEventSource {
  readonly name = 'node-a';
  opens = 0;
  failNext = 0;
  current: PassThrough | undefined;
  lastFilters: EventFilters | undefined;

  async openEventStream(filters: EventFilters, signal: AbortSignal): Promise<Readable> {
    signal.throwIfAborted();
    this.opens++;
    this.lastFilters = filters;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connect ECONNREFUSED');
    }
    this.current = new PassThrough();
    return this.current;
  }
}

function eventLine(action: string, name = 'shop-web-1'): string {
  return `${JSON.stringify({ Type: 'container', Action: action, Actor: { ID: 'abc', Attributes: { name, 'flotilla.managed': 'true' } }, time: 1 })}\n`;
}

function harness(): { clock: ManualClock; source: ScriptedSource; states: StreamState[]; events: EngineEvent[]; stream: ReconnectingEventStream } {
  const clock = new ManualClock();
  const source = new ScriptedSource();
  const states: StreamState[] = [];
  const events: EngineEvent[] = [];
  const stream = new ReconnectingEventStream(source, { type: ['container'] }, { onEvent: (e) => events.push(e), onState: (s) => states.push(s) }, clock, POLICY);
  return { clock, source, states, events, stream };
}

test('backoff doubles from the initial delay and stays at the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelayMs(n, POLICY)), [500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
  assert.equal(backoffDelayMs(1, DEFAULT_BACKOFF), DEFAULT_BACKOFF.initialMs);
});

test('a stream that cannot be opened is retried with growing delays and reports up once it opens', async () => {
  const { clock, source, states, stream } = harness();
  source.failNext = 3;
  stream.start();
  await settle();
  assert.equal(source.opens, 1);
  await clock.advance(500 + 1_000 + 2_000);
  assert.equal(source.opens, 4);
  assert.deepEqual(clock.sleeps, [500, 1_000, 2_000]);
  assert.deepEqual(states.map((s) => (s.up ? 'up' : `down ${s.retryInMs}`)), ['down 500', 'down 1000', 'down 2000', 'up']);
  assert.match(states[0]?.up === false ? states[0].error : '', /ECONNREFUSED/);
  await stream.stop();
});

test('events are delivered line by line, split anywhere, and junk lines are skipped', async () => {
  const { source, events, stream } = harness();
  stream.start();
  await settle();
  const line = eventLine('die');
  source.current?.write(line.slice(0, 10));
  source.current?.write(line.slice(10) + 'not json\n' + eventLine('destroy'));
  await settle();
  assert.deepEqual(events.map((e) => e.action), ['die', 'destroy']);
  assert.equal(events[0]?.attributes.name, 'shop-web-1');
  await stream.stop();
});

test('a dropped stream reconnects at once after a long healthy run, and backs off after a short one', async () => {
  const { clock, source, states, stream } = harness();
  stream.start();
  await settle();
  await clock.advance(60_000);
  source.current?.end(); // the daemon restarted after a minute of streaming
  await settle();
  assert.deepEqual(states.slice(-1).map((s) => (s.up ? 'up' : s.retryInMs)), [500], 'a stable connection resets the backoff');
  await clock.advance(500);
  assert.equal(source.opens, 2);
  source.current?.destroy(new Error('read ECONNRESET')); // dropped again at once
  await settle();
  assert.deepEqual(states.slice(-1).map((s) => (s.up ? 'up' : s.retryInMs)), [1_000], 'a flapping connection keeps backing off');
  await clock.advance(1_000);
  assert.equal(source.opens, 3);
  assert.equal(states.at(-1)?.up, true);
  await stream.stop();
});

test('stop ends the stream and the loop, also while it waits to retry', async () => {
  const { clock, source, stream } = harness();
  source.failNext = 1;
  stream.start();
  await settle();
  assert.equal(clock.pendingSleepers, 1);
  await stream.stop();
  assert.equal(clock.pendingSleepers, 0);
  await clock.advance(60_000);
  assert.equal(source.opens, 1, 'no attempt after stop');

  const second = harness();
  second.stream.start();
  await settle();
  const open = second.source.current;
  await second.stream.stop();
  assert.equal(open?.destroyed, true, 'the open stream is closed');
});

test('parseEngineEvent reads the Engine API message shape', () => {
  assert.deepEqual(parseEngineEvent(eventLine('health_status: unhealthy').trim()), { type: 'container', action: 'health_status: unhealthy', id: 'abc', attributes: { name: 'shop-web-1', 'flotilla.managed': 'true' } });
  assert.equal(parseEngineEvent('{"status":"die"}'), undefined);
  assert.equal(parseEngineEvent('[1,2]'), undefined);
});
