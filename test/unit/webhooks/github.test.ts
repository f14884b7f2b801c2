import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changed, fixture, harness, obj, request, signatureHeader, signedDelivery, TRACKED } from './support.js';

const push = fixture('github-push');
const opened = fixture('github-pull-request-opened');

test('a signed GitHub push to the tracked branch enqueues one reconcile and answers 202 at once', async () => {
  const h = harness({ repoUrl: TRACKED.github });
  const res = await h.send(signedDelivery('github', push));
  assert.equal(res.status, 202);
  assert.deepEqual(res.json, { accepted: true, action: 'reconcile', delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
  assert.deepEqual(h.reconciles, ['webhook:github']);
  assert.equal(await h.count('github', 'reconcile'), 1);
});

test('the tracked repository matches through its ssh URL, web URL or full name, whatever the case', async () => {
  for (const repoUrl of ['git@github.com:Acme/Fleet-Config.git', 'https://x-access-token:secret@github.com/acme/fleet-config', 'ssh://git@github.com:22/acme/fleet-config.git']) {
    const h = harness({ repoUrl });
    const res = await h.send(signedDelivery('github', push));
    assert.equal(res.json.action, 'reconcile', repoUrl);
  }
});

test('a push to another branch, a tag, another repository or a deleted branch is acknowledged and ignored', async () => {
  const cases = [
    changed(push, (p) => (p.ref = 'refs/heads/feature')),
    changed(push, (p) => (p.ref = 'refs/tags/v1.0.0')),
    changed(push, (p) => {
      const repo = obj(p, 'repository');
      for (const key of ['clone_url', 'ssh_url', 'html_url', 'git_url', 'svn_url']) repo[key] = String(repo[key]).replace('fleet-config', 'other');
      repo.full_name = 'acme/other';
    }),
    changed(push, (p) => ((p.deleted = true), (p.after = '0000000000000000000000000000000000000000'))),
  ];
  const h = harness({ repoUrl: TRACKED.github });
  for (const [i, f] of cases.entries()) {
    const res = await h.send(signedDelivery('github', f, { headers: { 'x-github-delivery': `d-${i}` } }));
    assert.equal(res.status, 202);
    assert.equal(res.json.accepted, false);
    assert.equal(typeof res.json.ignored, 'string');
  }
  assert.deepEqual(h.reconciles, []);
  assert.equal(await h.count('github', 'ignored'), 4);
});

test('a GitHub pull request opened against the tracked branch queues a review of refs/pull/N/head', async () => {
  const h = harness({ repoUrl: TRACKED.github });
  const res = await h.send(signedDelivery('github', opened));
  assert.equal(res.status, 202);
  assert.deepEqual(res.json, { accepted: true, action: 'review', pullRequest: 12, delivery: '0b989ba4-242f-11e5-81e1-c7b6ad9aa5a1' });
  assert.deepEqual(h.reconciles, [], 'a pull request never deploys');
  assert.equal(h.reviews.length, 1);
  const event = h.reviews[0];
  assert.equal(event?.provider, 'github');
  assert.equal(event?.number, 12);
  assert.equal(event?.headRef, 'refs/pull/12/head');
  assert.equal(event?.headSha, 'c5f0e9d8b7a6958473625140f1e2d3c4b5a69788');
  assert.equal(event?.apiRepository, 'acme/fleet-config');
  assert.equal(event?.baseBranch, 'main');
  assert.equal(event?.url, 'https://github.com/acme/fleet-config/pull/12');
});

test('synchronize and reopened are reviewed; closed, edited and labeled are not', async () => {
  const h = harness({ repoUrl: TRACKED.github });
  for (const [i, action] of ['synchronize', 'reopened', 'closed', 'edited', 'labeled'].entries()) {
    await h.send(signedDelivery('github', changed(opened, (p) => (p.action = action)), { headers: { 'x-github-delivery': `pr-${i}` } }));
  }
  assert.deepEqual(h.reviews.map((e) => e.action), ['synchronize', 'reopened']);
});

test('a pull request into another branch is not reviewed', async () => {
  const h = harness({ repoUrl: TRACKED.github });
  const res = await h.send(signedDelivery('github', changed(opened, (p) => (obj(p, 'pull_request', 'base').ref = 'release'))));
  assert.equal(res.status, 202);
  assert.match(String(res.json.ignored), /into release, not the tracked branch main/);
  assert.deepEqual(h.reviews, []);
});

test('without a reviewer for the forge a pull request is acknowledged and ignored', async () => {
  const h = harness({ repoUrl: TRACKED.github, onPullRequest: () => false });
  const res = await h.send(signedDelivery('github', opened));
  assert.equal(res.status, 202);
  assert.match(String(res.json.ignored), /reviews are not set up for github/);
});

test('a ping (sent when the hook is created) is acknowledged with 202', async () => {
  const h = harness({ repoUrl: TRACKED.github });
  const res = await h.send(signedDelivery('github', fixture('github-ping')));
  assert.equal(res.status, 202);
  assert.match(String(res.json.ignored), /"ping" is not handled/);
});

test('a form-encoded delivery (GitHub\'s other content type) is read from its payload field', async () => {
  const h = harness({ repoUrl: TRACKED.github });
  const body = Buffer.from(new URLSearchParams({ payload: JSON.stringify(push.payload) }).toString());
  const res = await h.send(request('github', body, { ...push.headers, 'content-type': 'application/x-www-form-urlencoded', ...signatureHeader('github', body) }));
  assert.equal(res.json.action, 'reconcile');
});
