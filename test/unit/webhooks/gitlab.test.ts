import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changed, fixture, harness, obj, signedDelivery, TRACKED } from './support.js';

const push = fixture('gitlab-push');
const mr = fixture('gitlab-merge-request-open');

test('a GitLab Push Hook with the right X-Gitlab-Token to the tracked branch enqueues a reconcile', async () => {
  const h = harness({ repoUrl: TRACKED.gitlab });
  const res = await h.send(signedDelivery('gitlab', push));
  assert.equal(res.status, 202);
  assert.deepEqual(res.json, { accepted: true, action: 'reconcile', delivery: '13792a34-cac6-4fda-95a8-c58e00a3954e' });
  assert.deepEqual(h.reconciles, ['webhook:gitlab']);
});

test('a wrong or missing X-Gitlab-Token is 401 and changes nothing', async () => {
  const h = harness({ repoUrl: TRACKED.gitlab });
  assert.equal((await h.send(signedDelivery('gitlab', push, { secret: 'not-the-secret' }))).status, 401);
  const unsigned = signedDelivery('gitlab', push);
  delete unsigned.headers['x-gitlab-token'];
  assert.equal((await h.send(unsigned)).status, 401);
  assert.deepEqual(h.reconciles, []);
  assert.equal(await h.count('gitlab', 'unauthorized'), 2);
});

test('a system hook push is handled like a project push hook', async () => {
  const h = harness({ repoUrl: TRACKED.gitlab });
  const res = await h.send(signedDelivery('gitlab', push, { headers: { 'x-gitlab-event': 'System Hook' } }));
  assert.equal(res.json.action, 'reconcile');
});

test('a push to another branch or project of the same GitLab is ignored', async () => {
  const h = harness({ repoUrl: TRACKED.gitlab });
  await h.send(signedDelivery('gitlab', changed(push, (p) => (p.ref = 'refs/heads/dev')), { headers: { 'x-gitlab-event-uuid': 'a' } }));
  await h.send(signedDelivery('gitlab', changed(push, (p) => {
    for (const where of [obj(p, 'project'), obj(p, 'repository')]) for (const [k, v] of Object.entries(where)) if (typeof v === 'string') where[k] = v.replace('fleet-config', 'web-app');
  }), { headers: { 'x-gitlab-event-uuid': 'b' } }));
  assert.deepEqual(h.reconciles, []);
  assert.equal(await h.count('gitlab', 'ignored'), 2);
});

test('a merge request open queues a review of refs/merge-requests/IID/head in the target project', async () => {
  const h = harness({ repoUrl: TRACKED.gitlab });
  const res = await h.send(signedDelivery('gitlab', mr));
  assert.deepEqual(res.json, { accepted: true, action: 'review', pullRequest: 7, delivery: '7a1c3f5e-9b2d-4e6f-8a0c-1d3e5f7a9b2c' });
  const event = h.reviews[0];
  assert.equal(event?.provider, 'gitlab');
  assert.equal(event?.apiRepository, '4711');
  assert.equal(event?.headRef, 'refs/merge-requests/7/head');
  assert.equal(event?.headSha, 'c5f0e9d8b7a6958473625140f1e2d3c4b5a69788');
  assert.equal(event?.baseBranch, 'main');
});

test('update with new commits and reopen are reviewed; close, merge and approved are not', async () => {
  const h = harness({ repoUrl: TRACKED.gitlab });
  for (const [i, action] of ['update', 'reopen', 'close', 'merge', 'approved'].entries()) {
    await h.send(signedDelivery('gitlab', changed(mr, (p) => {
      obj(p, 'object_attributes').action = action;
      obj(p, 'object_attributes').oldrev = '1b2c3d4e5f60718293a4b5c6d7e8f90123456789';
    }), { headers: { 'x-gitlab-event-uuid': `mr-${i}` } }));
  }
  assert.deepEqual(h.reviews.map((e) => e.action), ['update', 'reopen']);
});

test('an update that only edits the title is not reviewed again; a new target branch is', async () => {
  const h = harness({ repoUrl: TRACKED.gitlab });
  const titleOnly = changed(mr, (p) => {
    obj(p, 'object_attributes').action = 'update';
    p.changes = { title: { previous: 'old', current: 'new' } };
  });
  const retargeted = changed(mr, (p) => {
    obj(p, 'object_attributes').action = 'update';
    p.changes = { target_branch: { previous: 'release', current: 'main' } };
  });
  const r1 = await h.send(signedDelivery('gitlab', titleOnly, { headers: { 'x-gitlab-event-uuid': 'title' } }));
  assert.match(String(r1.json.ignored), /without new commits/);
  const r2 = await h.send(signedDelivery('gitlab', retargeted, { headers: { 'x-gitlab-event-uuid': 'retarget' } }));
  assert.equal(r2.json.action, 'review');
});
