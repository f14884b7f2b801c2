import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changed, fixture, harness, obj, signedDelivery, TRACKED } from './support.js';

const push = fixture('bitbucket-repo-push');
const created = fixture('bitbucket-pullrequest-created');

test('a Bitbucket repo:push signed in X-Hub-Signature (sha256=) enqueues a reconcile', async () => {
  const h = harness({ repoUrl: TRACKED.bitbucket });
  const res = await h.send(signedDelivery('bitbucket', push));
  assert.deepEqual(res.json, { accepted: true, action: 'reconcile', delivery: '9e0f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b' });
  assert.deepEqual(h.reconciles, ['webhook:bitbucket']);
});

test('a push with several ref changes counts when any of them updates the tracked branch', async () => {
  const h = harness({ repoUrl: TRACKED.bitbucket });
  const twoChanges = changed(push, (p) => {
    const changes = obj(p, 'push').changes as Array<Record<string, unknown>>;
    const other = structuredClone(changes[0]) as Record<string, unknown>;
    obj(other, 'new').name = 'feature';
    changes.unshift(other);
  });
  assert.equal((await h.send(signedDelivery('bitbucket', twoChanges))).json.action, 'reconcile');
});

test('a deleted branch (new: null) and a tag push are ignored', async () => {
  const h = harness({ repoUrl: TRACKED.bitbucket });
  const deleted = changed(push, (p) => ((obj(p, 'push').changes as Array<Record<string, unknown>>)[0]!.new = null));
  const tag = changed(push, (p) => (obj((obj(p, 'push').changes as unknown[])[0], 'new').type = 'tag'));
  const r1 = await h.send(signedDelivery('bitbucket', deleted, { headers: { 'x-request-uuid': 'del' } }));
  const r2 = await h.send(signedDelivery('bitbucket', tag, { headers: { 'x-request-uuid': 'tag' } }));
  assert.match(String(r1.json.ignored), /deleted refs\/heads\/main/);
  assert.equal(r2.json.accepted, false);
  assert.deepEqual(h.reconciles, []);
});

test('X-Hook-UUID names the hook, not the delivery: two deliveries of one hook are both handled', async () => {
  const h = harness({ repoUrl: TRACKED.bitbucket });
  await h.send(signedDelivery('bitbucket', push, { headers: { 'x-request-uuid': 'one' } }));
  await h.send(signedDelivery('bitbucket', push, { headers: { 'x-request-uuid': 'two' } }));
  assert.equal(h.reconciles.length, 2);
});

test('a Bitbucket pull request is passed on with its source branch and abbreviated hash', async () => {
  const h = harness({ repoUrl: TRACKED.bitbucket });
  const res = await h.send(signedDelivery('bitbucket', created));
  assert.equal(res.json.action, 'review');
  assert.deepEqual(h.reviews.map((e) => [e.provider, e.number, e.headRef, e.headSha, e.baseBranch]), [['bitbucket', 5, 'refs/heads/scale-web', 'c5f0e9d8b7a6', 'main']]);
});
