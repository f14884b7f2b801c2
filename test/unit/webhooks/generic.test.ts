import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, harness, request, signatureHeader, signedDelivery, TRACKED } from './support.js';

const push = fixture('generic-push');

function signedJson(value: unknown, headers: Record<string, string> = {}) {
  const body = Buffer.from(JSON.stringify(value));
  return request('generic', body, { 'content-type': 'application/json', ...signatureHeader('generic', body), ...headers });
}

test('a generic push signed in X-Signature naming the tracked repository and branch enqueues a reconcile', async () => {
  const h = harness({ repoUrl: TRACKED.generic });
  const res = await h.send(signedDelivery('generic', push));
  assert.deepEqual(res.json, { accepted: true, action: 'reconcile', delivery: 'ci-run-48213' });
  assert.deepEqual(h.reconciles, ['webhook:generic']);
});

test('a signed body naming neither branch nor repository asks for a sync of what is tracked', async () => {
  const h = harness({ repoUrl: TRACKED.generic });
  assert.equal((await h.send(signedJson({}))).json.action, 'reconcile');
  assert.equal((await h.send(signedJson({ branch: 'main', repository: 'acme/fleet-config' }))).json.action, 'reconcile');
});

test('another branch, another repository or another event is ignored', async () => {
  const h = harness({ repoUrl: TRACKED.generic });
  for (const body of [{ branch: 'dev' }, { ref: 'refs/tags/v1' }, { repository: 'https://git.example.com/acme/other.git' }, { repository: 'https://elsewhere.example.com/acme/fleet-config.git' }, { event: 'release' }]) {
    const res = await h.send(signedJson(body));
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.equal(res.json.accepted, false, JSON.stringify(body));
  }
  assert.deepEqual(h.reconciles, []);
});

test('an upper-case hex signature is as good as a lower-case one', async () => {
  const h = harness({ repoUrl: TRACKED.generic });
  const body = Buffer.from('{}');
  const header = signatureHeader('generic', body)['x-signature'] ?? '';
  const res = await h.send(request('generic', body, { 'content-type': 'application/json', 'x-signature': `sha256=${header.slice(7).toUpperCase()}` }));
  assert.equal(res.json.action, 'reconcile');
});
