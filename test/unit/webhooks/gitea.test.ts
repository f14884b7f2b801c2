import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changed, fixture, harness, signedDelivery, TRACKED } from './support.js';

const push = fixture('gitea-push');
const opened = fixture('gitea-pull-request-opened');

test('a Gitea push signed in X-Gitea-Signature (bare hex) enqueues a reconcile', async () => {
  const h = harness({ repoUrl: TRACKED.gitea });
  const res = await h.send(signedDelivery('gitea', push));
  assert.deepEqual(res.json, { accepted: true, action: 'reconcile', delivery: 'f6266f16-1bf3-46a5-9ea4-602e06ead473' });
  assert.deepEqual(h.reconciles, ['webhook:gitea']);
});

test('a Gitea delivery signed GitHub-style only (X-Hub-Signature-256) is refused on the Gitea route', async () => {
  const h = harness({ repoUrl: TRACKED.gitea });
  const req = signedDelivery('github', push);
  const res = await h.send({ ...req, path: '/hooks/gitea' });
  assert.equal(res.status, 401);
  assert.deepEqual(h.reconciles, []);
});

test('Forgejo headers are understood too', async () => {
  const h = harness({ repoUrl: TRACKED.gitea });
  const req = signedDelivery('gitea', push);
  const { 'x-gitea-signature': signature = '', 'x-gitea-event': event = '', ...rest } = req.headers;
  const res = await h.send({ ...req, headers: { ...rest, 'x-forgejo-signature': signature, 'x-forgejo-event': event } });
  assert.equal(res.json.action, 'reconcile');
});

test('a Gitea pull request opened or synchronized queues a review of refs/pull/N/head', async () => {
  const h = harness({ repoUrl: TRACKED.gitea });
  const res = await h.send(signedDelivery('gitea', opened));
  assert.deepEqual(res.json, { accepted: true, action: 'review', pullRequest: 3, delivery: '8c1d7e34-5f2a-4b9c-a0d1-e2f3a4b5c6d7' });
  await h.send(signedDelivery('gitea', changed(opened, (p) => (p.action = 'synchronized')), { headers: { 'x-gitea-delivery': 'sync-1' } }));
  await h.send(signedDelivery('gitea', changed(opened, (p) => (p.action = 'closed')), { headers: { 'x-gitea-delivery': 'close-1' } }));
  assert.deepEqual(h.reviews.map((e) => [e.provider, e.action, e.headRef, e.apiRepository]), [
    ['gitea', 'opened', 'refs/pull/3/head', 'acme/fleet-config'],
    ['gitea', 'synchronized', 'refs/pull/3/head', 'acme/fleet-config'],
  ]);
});
