import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createRouter } from '../../../src/server/routes.js';
import type { HttpRequest } from '../../../src/server/http-types.js';

function request(method: string, path: string, headers: Record<string, string> = {}): HttpRequest {
  return { method, path, query: new URLSearchParams(), headers, body: Buffer.alloc(0) };
}

function router(apiToken?: string) {
  const syncs: string[] = [];
  let ready = false;
  const handler = createRouter({
    ready: () => ready,
    status: () => ({ phase: 'idle' }),
    history: () => [{ revision: 'abc' }],
    requestSync: (reason) => syncs.push(reason),
    registry: new Registry(),
    ...(apiToken ? { apiToken } : {}),
  });
  return { handler, syncs, setReady: () => (ready = true) };
}

test('readyz answers 503 until the first reconcile, then 200; healthz is always 200', async () => {
  const { handler, setReady } = router();
  assert.equal((await handler(request('GET', '/healthz'))).status, 200);
  assert.equal((await handler(request('GET', '/readyz'))).status, 503);
  setReady();
  assert.equal((await handler(request('GET', '/readyz'))).status, 200);
});

test('POST /api/v1/sync needs the bearer token when one is configured and only enqueues', async () => {
  const { handler, syncs } = router('s3cret');
  assert.equal((await handler(request('POST', '/api/v1/sync'))).status, 401);
  assert.equal((await handler(request('POST', '/api/v1/sync', { authorization: 'Bearer wrong' }))).status, 401);
  assert.deepEqual(syncs, []);
  const ok = await handler(request('POST', '/api/v1/sync', { authorization: 'Bearer s3cret' }));
  assert.equal(ok.status, 202);
  assert.deepEqual(syncs, ['api']);
});

test('unknown paths are 404 and wrong methods 405', async () => {
  const { handler } = router();
  assert.equal((await handler(request('GET', '/nope'))).status, 404);
  assert.equal((await handler(request('GET', '/api/v1/sync'))).status, 405);
});

test('status and history are served as JSON', async () => {
  const { handler } = router();
  const status = await handler(request('GET', '/api/v1/status'));
  assert.equal(status.status, 200);
  assert.deepEqual(JSON.parse(String(status.body)), { phase: 'idle' });
  const history = await handler(request('GET', '/api/v1/history'));
  assert.deepEqual(JSON.parse(String(history.body)), [{ revision: 'abc' }]);
});
