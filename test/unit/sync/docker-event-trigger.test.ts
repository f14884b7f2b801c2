import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, type Readable } from 'node:stream';
import { RecordingDockerNode } from '../../../src/docker/recording-node.js';
import type { EventFilters } from '../../../src/docker/engine-events.js';
import { FlotillaMetrics } from '../../../src/metrics.js';
import { silentLogger } from '../../../src/log.js';
import { callsForReconcile, DockerEventTrigger, SELF_HEAL_FILTERS } from '../../../src/sync/docker-event-trigger.js';
import { TriggerQueue } from '../../../src/sync/trigger-queue.js';
import { ManualClock, settle } from './manual-clock.js';

/** A recording node that also streams events the test writes (EngineNode's extra capability). */
class StreamingNode extends RecordingDockerNode {
  streams: PassThrough[] = [];
  filters: EventFilters | undefined;
  refuse = false;
  async openEventStream(filters: EventFilters): Promise<Readable> {
    if (this.refuse) throw new Error('connect ECONNREFUSED');
    this.filters = filters;
    const s = new PassThrough();
    this.streams.push(s);
    return s;
  }
  emit(action: string, managed = true): void {
    const line = { Type: 'container', Action: action, Actor: { ID: `id-${action}`, Attributes: { name: 'shop-web-1', ...(managed ? { 'flotilla.managed': 'true' } : {}) } } };
    this.streams.at(-1)?.write(`${JSON.stringify(line)}\n`);
  }
}

function harness(run: (reasons: string[]) => Promise<void> = async () => undefined) {
  const clock = new ManualClock();
  const metrics = new FlotillaMetrics(false);
  const runs: string[][] = [];
  const queue = new TriggerQueue(async ({ reasons }) => {
    runs.push(reasons);
    await run(reasons);
  }, 60_000, (err) => assert.fail(String(err)));
  const trigger = new DockerEventTrigger({ request: (r) => queue.request(r), clock, metrics, log: silentLogger() });
  return { clock, metrics, runs, queue, trigger };
}

async function streamUp(metrics: FlotillaMetrics, node: string): Promise<number | undefined> {
  return (await metrics.eventsStreamUp.get()).values.find((v) => v.labels.node === node)?.value;
}

test('subscribes with the self-heal filters and reports the stream up; a fresh stream asks for one look', async () => {
  const { clock, metrics, runs, queue, trigger } = harness();
  const node = new StreamingNode('node-a');
  trigger.align([node]);
  await settle();
  assert.deepEqual(node.filters, SELF_HEAL_FILTERS);
  assert.equal(await streamUp(metrics, 'node-a'), 1);
  await clock.advance(300);
  await queue.idle();
  assert.deepEqual(runs, [['docker-events-connected:node-a']]);
  await trigger.stop();
});

test('a docker rm -f (die + destroy) enqueues one reconcile, soon after the destroy', async () => {
  const { clock, runs, queue, trigger } = harness();
  const node = new StreamingNode('node-a');
  trigger.align([node]);
  await clock.advance(300);
  await queue.idle();
  runs.length = 0;
  node.emit('die');
  await clock.advance(100);
  node.emit('destroy');
  await settle();
  assert.deepEqual(runs, []);
  await clock.advance(50);
  await queue.idle();
  assert.deepEqual(runs, [['docker-event:node-a']]);
  await trigger.stop();
});

test('a die alone (a crash Docker may restart) waits the full quiet period', async () => {
  const { clock, runs, queue, trigger } = harness();
  const node = new StreamingNode('node-a');
  trigger.align([node]);
  await clock.advance(300);
  await queue.idle();
  runs.length = 0;
  node.emit('die');
  await clock.advance(200);
  await queue.idle();
  assert.deepEqual(runs, []);
  await clock.advance(50);
  await queue.idle();
  assert.deepEqual(runs, [['docker-event:node-a']]);
  await trigger.stop();
});

test('a storm of 100 events on two nodes, during a slow reconcile, costs a handful of reconciles', async () => {
  let release: () => void = () => undefined;
  const { clock, runs, queue, trigger } = harness(() => new Promise<void>((r) => (release = r)));
  const a = new StreamingNode('node-a');
  const b = new StreamingNode('node-b');
  trigger.align([a, b]);
  for (let i = 0; i < 100; i++) {
    (i % 2 === 0 ? a : b).emit('die');
    await clock.advance(30);
    if (i % 20 === 0) release(); // each reconcile takes ~0.6 s
  }
  for (let i = 0; i < 5; i++) {
    release();
    await clock.advance(1_000);
  }
  release();
  await queue.idle();
  assert.ok(runs.length >= 2 && runs.length <= 5, `${runs.length} reconciles: ${JSON.stringify(runs)}`);
  await trigger.stop();
});

test('events the executor causes during a reconcile bring one follow-up reconcile, not a loop', async () => {
  const node = new StreamingNode('node-a');
  let firstRun = true;
  const { clock, runs, queue, trigger } = harness(async () => {
    // The first reconcile replaces two containers: its own stops and removals stream back.
    if (!firstRun) return;
    firstRun = false;
    node.emit('stop');
    node.emit('die');
    node.emit('destroy');
    await clock.advance(2_000);
  });
  trigger.align([node]);
  await clock.advance(300);
  await queue.idle();
  await clock.advance(10_000);
  await queue.idle();
  assert.deepEqual(runs, [['docker-events-connected:node-a'], ['docker-event:node-a']]);
  await trigger.stop();
});

test('a replica turning healthy, and unmanaged containers, ask for nothing', () => {
  const event = (action: string, managed = true) => ({ type: 'container', action, id: 'x', attributes: managed ? { 'flotilla.managed': 'true' } : ({} as Record<string, string>) });
  assert.equal(callsForReconcile(event('health_status: healthy')), false);
  assert.equal(callsForReconcile(event('health_status: unhealthy')), true);
  assert.equal(callsForReconcile(event('die', false)), false);
  assert.deepEqual(['die', 'destroy', 'stop', 'start', 'create'].map((a) => callsForReconcile(event(a))), [true, true, true, false, false]);
});

test('a node whose stream cannot be opened is down in the metric and retried; a removed node loses its series', async () => {
  const { clock, metrics, trigger } = harness();
  const node = new StreamingNode('node-a');
  node.refuse = true;
  const plain = new RecordingDockerNode('node-b'); // no event stream at all: the poll covers it
  trigger.align([node, plain]);
  await settle();
  assert.equal(await streamUp(metrics, 'node-a'), 0);
  assert.equal(await streamUp(metrics, 'node-b'), 0);
  node.refuse = false;
  await clock.advance(500);
  assert.equal(await streamUp(metrics, 'node-a'), 1);
  assert.equal(trigger.isUp('node-a'), true);
  trigger.align([plain]);
  await settle();
  assert.equal(await streamUp(metrics, 'node-a'), undefined);
  assert.equal(node.streams[0]?.destroyed, true);
  await trigger.stop();
});
