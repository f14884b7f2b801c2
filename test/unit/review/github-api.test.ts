import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nock from '../notify/nock.js';
import { GitHubApi } from '../../../src/notify/github.js';
import { DeliveryError } from '../../../src/notify/provider.js';

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

const SHA = 'c5f0e9d8b7a6958473625140f1e2d3c4b5a69788';
const MARKER = '<!-- flotilla-plan:prod -->';

function api(apiUrl = 'https://api.github.com') {
  nock.disableNetConnect();
  return new GitHubApi({ apiUrl, token: 'ghp_test_token', timeoutMs: 2_000 });
}

test('sets a commit status with the token, context, state and description', async () => {
  const scope = nock('https://api.github.com', { reqheaders: { authorization: 'token ghp_test_token', accept: 'application/vnd.github+json' } })
    .post(`/repos/acme/fleet-config/statuses/${SHA}`, { state: 'success', context: 'flotilla/plan', description: '2 to create, 1 to replace' })
    .reply(201, { id: 1, state: 'success' });
  await api().setStatus('acme/fleet-config', SHA, { context: 'flotilla/plan', state: 'success', description: '2 to create, 1 to replace' });
  assert.ok(scope.isDone());
});

test('GitHub Enterprise: every call goes to the configured API base URL', async () => {
  const scope = nock('https://ghe.example.com').post(`/api/v3/repos/acme/fleet-config/statuses/${SHA}`).reply(201, {});
  await api('https://ghe.example.com/api/v3/').setStatus('acme/fleet-config', SHA, { context: 'flotilla/deploy', state: 'failure', description: 'Reverted on prod' });
  assert.ok(scope.isDone());
});

test('creates the plan comment when none carries the marker', async () => {
  const scope = nock('https://api.github.com')
    .get('/repos/acme/fleet-config/issues/12/comments').query(true).reply(200, [{ id: 1, body: 'LGTM' }, { id: 2, body: `> ${MARKER} quoted by a person` }])
    .post('/repos/acme/fleet-config/issues/12/comments', { body: `${MARKER}\nplan` }).reply(201, { id: 3 });
  assert.equal(await api().upsertComment('acme/fleet-config', 12, MARKER, `${MARKER}\nplan`), 'created');
  assert.ok(scope.isDone());
});

test('edits the comment with the marker, found on a later page through the Link header', async () => {
  const scope = nock('https://api.github.com')
    .get('/repos/acme/fleet-config/issues/12/comments').query({ per_page: '100', limit: '50' })
    .reply(200, [{ id: 1, body: 'first' }], { link: '<https://api.github.com/repositories/708090/issues/12/comments?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/708090/issues/12/comments?per_page=100&page=2>; rel="last"' })
    .get('/repositories/708090/issues/12/comments').query({ per_page: '100', page: '2' }).reply(200, [{ id: 77, body: `${MARKER}\nold plan` }])
    .patch('/repos/acme/fleet-config/issues/comments/77', { body: `${MARKER}\nnew plan` }).reply(200, { id: 77 });
  assert.equal(await api().upsertComment('acme/fleet-config', 12, MARKER, `${MARKER}\nnew plan`), 'updated');
  assert.ok(scope.isDone());
});

test('never follows a pagination link to another host (the token would go with it)', async () => {
  const scope = nock('https://api.github.com')
    .get('/repos/acme/fleet-config/issues/12/comments').query(true).reply(200, [], { link: '<https://evil.example.com/steal?page=2>; rel="next"' })
    .post('/repos/acme/fleet-config/issues/12/comments').reply(201, { id: 3 });
  assert.equal(await api().upsertComment('acme/fleet-config', 12, MARKER, `${MARKER}\nplan`), 'created');
  assert.ok(scope.isDone());
});

test('a 4xx is a non-retryable DeliveryError, a 5xx or 429 a retryable one; no token in the message', async () => {
  nock('https://api.github.com').post(`/repos/acme/fleet-config/statuses/${SHA}`).reply(401, { message: 'Bad credentials' });
  await assert.rejects(api().setStatus('acme/fleet-config', SHA, { context: 'c', state: 'success', description: 'd' }), (err: DeliveryError) => {
    assert.ok(err instanceof DeliveryError);
    assert.equal(err.retryable, false);
    assert.equal(err.status, 401);
    assert.match(err.message, /POST https:\/\/api.github.com\/repos\/acme\/fleet-config\/statuses\/\w+ answered 401: .*Bad credentials/);
    assert.doesNotMatch(err.message, /ghp_test_token/);
    return true;
  });
  nock('https://api.github.com').post(`/repos/acme/fleet-config/statuses/${SHA}`).reply(429, {}, { 'retry-after': '7' });
  await assert.rejects(api().setStatus('acme/fleet-config', SHA, { context: 'c', state: 'success', description: 'd' }), (err: DeliveryError) => err.retryable && err.retryAfterMs === 7000);
});

test('a repository that is not owner/name is refused before any request', async () => {
  await assert.rejects(api().setStatus('../../admin', SHA, { context: 'c', state: 'success', description: 'd' }), /owner\/name/);
});

test('review posters: one client per forge with a token; Gitea needs its API URL', async () => {
  const { reviewPosters } = await import('../../../src/review/posters.js');
  assert.deepEqual(Object.keys(reviewPosters({})), []);
  const posters = reviewPosters({ github: { token: 't' }, gitlab: { token: 't', apiUrl: 'https://gitlab.example.com/api/v4' }, gitea: { token: 't', apiUrl: 'https://gitea.example.com/api/v1' } });
  assert.deepEqual(Object.keys(posters).sort(), ['gitea', 'github', 'gitlab']);
  assert.equal(posters.github?.limits.statusDescription, 140);
  assert.equal(posters.gitlab?.limits.statusDescription, 255);
  assert.throws(() => reviewPosters({ gitea: { token: 't' } }), /API URL of the Gitea server/);
});
