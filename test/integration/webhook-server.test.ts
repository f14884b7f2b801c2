// The webhook routes behind the daemon's real HTTP server and trigger queue: the 1 MiB cap
// (413, whether the size is declared or streamed), every bad-input answer over the wire,
// and a burst of pushes that answers at once and folds into one follow-up reconcile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../../src/log.js';
import { FlotillaMetrics } from '../../src/metrics.js';
import { listen } from '../../src/server/http-server.js';
import { createRouter } from '../../src/server/routes.js';
import { webhookRoutes } from '../../src/server/webhook-routes.js';
import { TriggerQueue } from '../../src/sync/trigger-queue.js';
import { metricValue } from '../support/flotilla.js';
import { fixture, SECRET, signatureHeader, TRACKED } from '../unit/webhooks/support.js';

interface Answer {
  status: number;
  body: string;
}

function post(address: string, path: string, headers: Record<string, string>, body: Buffer, opts: { chunked?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const [host, port] = address.split(':') as [string, string];
    const req = httpRequest({ host, port: Number(port), path, method: 'POST', headers: { ...headers, ...(opts.chunked ? {} : { 'content-length': String(body.length) }) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    // The server may answer 413 and close before the whole body is written.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    if (opts.chunked) {
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** `hold`: every reconcile waits until release(), so a test can see who waited for it. */
async function daemon(hold = false) {
  const runs: string[][] = [];
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  if (!hold) release();
  const metrics = new FlotillaMetrics(false);
  const queue = new TriggerQueue(async (run) => {
    runs.push(run.reasons);
    await released;
  }, 60_000, (err) => assert.fail(String(err)));
  const router = createRouter({
    ready: () => true, status: () => ({}), history: () => [], requestSync: (r) => queue.request(r), registry: metrics.registry,
    extra: webhookRoutes({ secret: SECRET, repoUrl: TRACKED.github, branch: 'main', queue, metrics }),
  });
  const server = await listen(router, '127.0.0.1:0', silentLogger());
  return { server, queue, runs, metrics, release: () => release() };
}

const push = fixture('github-push');
const pushBody = Buffer.from(JSON.stringify(push.payload));

test('a body over 1 MiB is refused with 413 whether its length is declared or streamed, and nothing runs', async () => {
  const d = await daemon();
  try {
    // Valid JSON, validly signed, naming the tracked branch: only its size is wrong.
    const big = Buffer.from(JSON.stringify({ ...push.payload, padding: 'x'.repeat(1024 * 1024) }));
    const headers = { ...push.headers, ...signatureHeader('github', big) };
    assert.equal((await post(d.server.address, '/hooks/github', headers, big)).status, 413);
    assert.equal((await post(d.server.address, '/hooks/github', { ...headers, 'x-github-delivery': 'streamed' }, big, { chunked: true })).status, 413);
    assert.deepEqual(d.runs, []);
    // The server is still there for the next, reasonable delivery.
    assert.equal((await post(d.server.address, '/hooks/github', { ...push.headers, ...signatureHeader('github', pushBody) }, pushBody)).status, 202);
    await d.queue.idle();
    assert.deepEqual(d.runs, [['webhook:github']]);
  } finally {
    await d.queue.stop(true);
    await d.server.close();
  }
});

test('over the wire: 401 unsigned, 400 malformed, 202 for another branch, 202 and one reconcile for the tracked branch', async () => {
  const d = await daemon();
  try {
    const at = d.server.address;
    const unsigned = await post(at, '/hooks/github', push.headers, pushBody);
    assert.deepEqual([unsigned.status, JSON.parse(unsigned.body)], [401, { error: 'missing or invalid webhook signature' }]);
    const malformed = Buffer.from('{"ref": ');
    assert.equal((await post(at, '/hooks/github', { ...push.headers, ...signatureHeader('github', malformed) }, malformed)).status, 400);
    const other = Buffer.from(JSON.stringify({ ...push.payload, ref: 'refs/heads/dev' }));
    const ignored = await post(at, '/hooks/github', { ...push.headers, 'x-github-delivery': 'other', ...signatureHeader('github', other) }, other);
    assert.equal(ignored.status, 202);
    assert.equal(JSON.parse(ignored.body).accepted, false);
    assert.deepEqual(d.runs, []);
    const accepted = await post(at, '/hooks/github', { ...push.headers, ...signatureHeader('github', pushBody) }, pushBody);
    assert.deepEqual([accepted.status, JSON.parse(accepted.body).action], [202, 'reconcile']);
    await d.queue.idle();
    assert.deepEqual(d.runs, [['webhook:github']]);
    const text = await d.metrics.registry.metrics();
    for (const [result, n] of [['unauthorized', 1], ['bad_request', 1], ['ignored', 1], ['reconcile', 1]] as const) {
      assert.equal(metricValue(text, 'flotilla_webhook_requests_total', { provider: 'github', result }), n, result);
    }
  } finally {
    await d.queue.stop(true);
    await d.server.close();
  }
});

test('a burst of 40 pushes is answered while the reconcile it started still runs, and folds into one follow-up', async (t) => {
  const d = await daemon(true);
  try {
    const since = performance.now();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => post(d.server.address, '/hooks/github', { ...push.headers, 'x-github-delivery': `burst-${i}`, ...signatureHeader('github', pushBody) }, pushBody)));
    t.diagnostic(`40 concurrent deliveries answered in ${(performance.now() - since).toFixed(0)} ms`);
    assert.ok(answers.every((a) => a.status === 202 && JSON.parse(a.body).action === 'reconcile'));
    // Every answer came while the first reconcile was still held: nobody waited for the work.
    assert.equal(d.runs.length, 1);
    d.release();
    await d.queue.idle();
    assert.equal(d.runs.length, 2, 'the 39 requests that came during the first run are one follow-up');
  } finally {
    d.release();
    await d.queue.stop(true);
    await d.server.close();
  }
});
