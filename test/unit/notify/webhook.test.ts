import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import nock from './nock.js';
import { NotificationDispatcher } from '../../../src/notify/dispatcher.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER } from '../../../src/notify/webhook.js';
import { captureLog, counted, event, eventually, FAST_RETRY, freshMetrics, spec } from './support.js';

const SECRET = 'whsec-0123456789abcdef';



afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

function dispatcher(options: Record<string, unknown>, extra: { timeoutMs?: number } = {}) {
  const metrics = freshMetrics();
  const captured = captureLog();
  const d = new NotificationDispatcher({ metrics, log: captured.log, env: { HOOK_SECRET: SECRET }, retry: FAST_RETRY, ...extra });
  d.configure([spec('webhook', options)]);
  return { d, metrics, captured };
}

/** Records every request header value nock sees (nock 15 gives reply functions no request). */
function recordHeaders(names: string[], into: Array<Record<string, string>>): Record<string, (value: string | null) => boolean> {
  const matchers: Record<string, (value: string | null) => boolean> = {};
  for (const name of names) {
    matchers[name] = (value) => {
      // The first header of a request opens a new record.
      if (name === names[0]) into.push({});
      (into[into.length - 1] as Record<string, string>)[name] = value ?? '';
      return true;
    };
  }
  return matchers;
}

const HEADERS = [SIGNATURE_HEADER, EVENT_HEADER, DELIVERY_HEADER, 'content-type'];

test('posts the event as JSON with an HMAC-SHA256 signature of the exact body, the event type and a delivery id', async () => {
  let raw = '';
  const seen: Array<Record<string, string>> = [];
  const scope = nock('https://ci.example.test', { reqheaders: recordHeaders(HEADERS, seen) })
    .post('/flotilla', (body: unknown) => ((raw = JSON.stringify(body)), true))
    .reply(204);
  const { d, metrics } = dispatcher({ url: 'https://ci.example.test/flotilla', secretEnv: 'HOOK_SECRET' });
  const sent = event('deployed', { details: { changes: { create: 2 } } });
  d.notify(sent);
  await eventually('the delivery', () => scope.isDone());
  await eventually('the success count', async () => (await counted(metrics, 'webhook', 'success')) === 1);
  // The body is JSON.stringify(event): re-serializing the parsed body gives the same bytes.
  assert.equal(raw, JSON.stringify(sent));
  const headers = seen[0] ?? {};
  assert.equal(headers[SIGNATURE_HEADER], `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
  assert.equal(headers[EVENT_HEADER], 'deployed');
  assert.match(headers[DELIVERY_HEADER] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(headers['content-type'], 'application/json');
});

test('retries keep the same delivery id, so a receiver can de-duplicate', async () => {
  const seen: Array<Record<string, string>> = [];
  const scope = nock('https://ci.example.test', { reqheaders: recordHeaders(HEADERS, seen) })
    .post('/flotilla').times(2).reply(503, 'busy')
    .post('/flotilla').reply(200, 'ok');
  const { d, metrics } = dispatcher({ url: 'https://ci.example.test/flotilla', secretEnv: 'HOOK_SECRET' });
  d.notify(event('failed'));
  await eventually('the success count', async () => (await counted(metrics, 'webhook', 'success')) === 1);
  assert.ok(scope.isDone());
  const ids = seen.map((h) => h[DELIVERY_HEADER]);
  assert.ok(ids.length >= 3, `${ids.length} requests seen`);
  assert.equal(new Set(ids).size, 1);
});

test('a receiver that refuses connections: retried, given up, counted, logged, never thrown', async () => {
  // A port that was free a moment ago: nothing listens there, so the kernel refuses at once.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  const { d, metrics, captured } = dispatcher({ url: `http://127.0.0.1:${port}/hook`, secretEnv: 'HOOK_SECRET' });
  assert.doesNotThrow(() => d.notify(event('failed')));
  await eventually('the failure count', async () => (await counted(metrics, 'webhook', 'failed')) === 1);
  const failure = captured.lines.find((l) => String(l.msg).includes('giving up'));
  assert.equal(failure?.attempts, 3);
  assert.match(String(failure?.error), /ECONNREFUSED/);
});

test('a slow receiver never delays the caller, and times out into a retry', async () => {
  const scope = nock('https://slow.example.test').post('/hook').times(3).delay(400).reply(200, 'ok');
  const { d, metrics } = dispatcher({ url: 'https://slow.example.test/hook', secretEnv: 'HOOK_SECRET' }, { timeoutMs: 100 });
  const started = performance.now();
  for (let i = 0; i < 20; i++) d.notify(event('deployed', { message: `deploy ${i}` }));
  const took = performance.now() - started;
  assert.ok(took < 50, `notify took ${took.toFixed(1)} ms for 20 events`);
  await eventually('the first give-up', async () => (await counted(metrics, 'webhook', 'failed')) >= 1);
  d.close();
  assert.ok(scope.activeMocks().length <= 3);
});

test('a missing secret is a clear error for that notification only', async () => {
  const metrics = freshMetrics();
  const captured = captureLog();
  const d = new NotificationDispatcher({ metrics, log: captured.log, env: {}, retry: FAST_RETRY });
  const scope = nock('https://ok.example.test').post('/hook').reply(200, 'ok');
  d.configure([
    spec('webhook', { url: 'https://broken.example.test/hook', secretFile: '/nonexistent/flotilla-secret' }, undefined, 'broken'),
    spec('webhook', { url: 'https://ok.example.test/hook', secretEnv: 'HOOK_SECRET' }, undefined, 'fine'),
  ]);
  assert.match(d.describe()[0]?.problem ?? '', /notification broken: cannot read secretFile \/nonexistent\/flotilla-secret: ENOENT/);
  assert.match(d.describe()[1]?.problem ?? '', /secretEnv names the environment variable HOOK_SECRET, which is not set/);
  d.notify(event('failed'));
  assert.equal(await counted(metrics, 'webhook', 'misconfigured'), 2);
  assert.ok(captured.lines.some((l) => l.level === 50 && String(l.msg).includes('cannot read secretFile')));
  assert.ok(!scope.isDone(), 'nothing is sent by a misconfigured notification');
});

test('a webhook URL in Git may not carry a credential, and the secret must never be inline', () => {
  const { d } = dispatcher({ url: 'https://user:pw@ci.example.test/hook', secretEnv: 'HOOK_SECRET' });
  assert.match(d.describe()[0]?.problem ?? '', /carries a user, password or query string/);
  const { d: d2 } = dispatcher({ url: 'https://ci.example.test/hook', secret: 'in-git' });
  assert.match(d2.describe()[0]?.problem ?? '', /secret is a secret for the webhook provider and must not be written in Git/);
});
