import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nock from './nock.js';
import { NotificationDispatcher } from '../../../src/notify/dispatcher.js';
import type { ProviderFactory } from '../../../src/notify/context.js';
import { DeliveryError } from '../../../src/notify/provider.js';
import type { FleetEvent } from '../../../src/notify/types.js';
import { captureLog, counted, event, eventually, FAST_RETRY, freshMetrics, spec } from './support.js';

afterEach(() => nock.cleanAll());

/** A provider that records what it was asked to deliver, and can be held up. */
function recordingFactory(sent: FleetEvent[], hold?: Promise<void>): ProviderFactory {
  return () => ({
    kind: 'webhook',
    target: 'memory://',
    async deliver(e) {
      await hold;
      sent.push(e);
    },
  });
}

function build(factory: ProviderFactory, queueSize = 100) {
  const metrics = freshMetrics();
  const captured = captureLog();
  const d = new NotificationDispatcher({ metrics, log: captured.log, env: {}, retry: FAST_RETRY, queueSize, factories: { webhook: factory, slack: factory, github: factory, gitlab: factory } });
  return { d, metrics, captured };
}

test('each notification only gets the events it asked for', async () => {
  const sent: FleetEvent[] = [];
  const { d } = build(recordingFactory(sent));
  d.configure([spec('webhook', {}, ['failed', 'reverted'])]);
  for (const type of ['deployed', 'failed', 'drift', 'reverted', 'node_down', 'validation_failed'] as const) d.notify(event(type));
  await d.drain(1_000);
  assert.deepEqual(sent.map((e) => e.type), ['failed', 'reverted']);
});

test('the same drift reported every cycle is sent once; a new drift, or the old one after it cleared, is sent again', async () => {
  const sent: FleetEvent[] = [];
  const { d } = build(recordingFactory(sent));
  d.configure([spec('webhook', {}, ['drift'])]);
  const drift = (kind: string) => event('drift', { details: { drift: [{ stack: 'shop', service: 'web', node: 'node-a', kind, count: 1 }] } });
  const clear = event('drift', { services: [], stacks: [], nodes: [], details: { drift: [] } });
  for (const e of [drift('stopped'), drift('stopped'), drift('stopped'), drift('outdated'), drift('outdated'), clear, clear, drift('outdated')]) d.notify(e);
  await d.drain(1_000);
  assert.deepEqual(sent.map((e) => (e.details?.drift as Array<{ kind: string }>)[0]?.kind), ['stopped', 'outdated', 'outdated']);
});

test('a full queue drops the oldest waiting event and counts it', async () => {
  let release!: () => void;
  const sent: FleetEvent[] = [];
  const { d, metrics, captured } = build(recordingFactory(sent, new Promise((r) => (release = r))), 3);
  d.configure([spec('webhook', {})]);
  d.notify(event('deployed', { message: 'deploy 0' }));
  await new Promise((r) => setImmediate(r));
  for (let i = 1; i < 10; i++) d.notify(event('deployed', { message: `deploy ${i}` }));
  await eventually('drops', async () => (await counted(metrics, 'webhook', 'dropped')) === 6);
  release();
  await d.drain(1_000);
  assert.deepEqual(sent.map((e) => e.message), ['deploy 0', 'deploy 7', 'deploy 8', 'deploy 9']);
  assert.equal(await counted(metrics, 'webhook', 'success'), 4);
  assert.equal(captured.lines.filter((l) => l.msg === 'notification dropped: the queue is full').length, 6);
});

test('a stuck receiver delays neither the caller nor the other notifications', async () => {
  const stuck: FleetEvent[] = [];
  const fine: FleetEvent[] = [];
  const metrics = freshMetrics();
  const d = new NotificationDispatcher({
    metrics,
    log: captureLog().log,
    env: {},
    retry: FAST_RETRY,
    factories: { webhook: recordingFactory(stuck, new Promise(() => undefined)), slack: recordingFactory(fine) },
  });
  d.configure([spec('webhook', {}), spec('slack', {})]);
  const started = performance.now();
  d.notify(event('failed'));
  assert.ok(performance.now() - started < 20);
  await eventually('the healthy notification', () => fine.length === 1);
  assert.equal(stuck.length, 0);
  d.close();
});

test('configure is idempotent for the same specs and rebuilds on a change', () => {
  let builds = 0;
  const factory: ProviderFactory = () => {
    builds++;
    return { kind: 'webhook', target: 'memory://', deliver: async () => undefined };
  };
  const { d } = build(factory);
  d.configure([spec('webhook', { url: 'https://a.test/' })]);
  d.configure([spec('webhook', { url: 'https://a.test/' })]);
  assert.equal(builds, 1);
  d.configure([spec('webhook', { url: 'https://b.test/' })]);
  assert.equal(builds, 2);
  d.configure([]);
  assert.deepEqual(d.describe(), []);
});

test('a provider whose factory throws something unexpected is reported, not fatal', async () => {
  const { d, metrics, captured } = build(() => {
    throw new TypeError('bug in a provider');
  });
  assert.doesNotThrow(() => d.configure([spec('gitlab', {})]));
  assert.match(d.describe()[0]?.problem ?? '', /notification gitlab-1: bug in a provider/);
  d.notify(event('failed'));
  assert.equal(await counted(metrics, 'gitlab', 'misconfigured'), 1);
  assert.ok(captured.lines.some((l) => String(l.msg).includes('bug in a provider')));
});

test('notify never throws, even on a malformed event', () => {
  const sent: FleetEvent[] = [];
  const { d } = build(recordingFactory(sent));
  d.configure([spec('webhook', {})]);
  assert.doesNotThrow(() => d.notify(null as unknown as FleetEvent));
  assert.doesNotThrow(() => d.notify({ type: 'drift' } as unknown as FleetEvent));
});

test('every configured provider has its result series at zero, so alerts see the first failure', async () => {
  const { d, metrics } = build(recordingFactory([]));
  d.configure([spec('slack', {})]);
  const values = (await metrics.notificationsTotal.get()).values.filter((v) => v.labels.provider === 'slack');
  assert.deepEqual(values.map((v) => [v.labels.result, v.value]).sort(), [['dropped', 0], ['failed', 0], ['misconfigured', 0], ['success', 0]]);
});

test('close cancels waiting deliveries and counts them as dropped', async () => {
  const { d, metrics } = build(recordingFactory([], new Promise(() => undefined)));
  d.configure([spec('webhook', {})]);
  for (let i = 0; i < 3; i++) d.notify(event('deployed', { message: `m${i}` }));
  await new Promise((r) => setImmediate(r));
  d.close();
  assert.equal(await counted(metrics, 'webhook', 'dropped'), 2);
});

test('every secret a notification reads is handed to the log redactor', () => {
  const registered: string[] = [];
  const d = new NotificationDispatcher({ metrics: freshMetrics(), log: captureLog().log, env: { HOOK_URL: 'https://hooks.example.test/x/abcdef', HOOK_SECRET: 'hmac-secret-123' }, secrets: { add: (v) => registered.push(v) } });
  d.configure([spec('webhook', { urlEnv: 'HOOK_URL', secretEnv: 'HOOK_SECRET' })]);
  assert.deepEqual(registered.sort(), ['hmac-secret-123', 'https://hooks.example.test/x/abcdef']);
});

test('a delivery cut short by close counts as dropped, not as a failure of the receiver', async () => {
  const metrics = freshMetrics();
  const d = new NotificationDispatcher({
    metrics,
    log: captureLog().log,
    env: {},
    retry: { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000, maxTotalMs: 600_000 },
    factories: { webhook: () => ({ kind: 'webhook', target: 'memory://', deliver: async () => Promise.reject(new DeliveryError('503', true)) }) },
  });
  d.configure([spec('webhook', {})]);
  d.notify(event('failed'));
  await new Promise((r) => setTimeout(r, 20));
  d.close();
  await eventually('the drop', async () => (await counted(metrics, 'webhook', 'dropped')) === 1);
  assert.equal(await counted(metrics, 'webhook', 'failed'), 0);
});
