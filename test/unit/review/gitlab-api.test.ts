import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nock from '../notify/nock.js';
import { GitLabApi } from '../../../src/notify/gitlab.js';

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

const SHA = 'c5f0e9d8b7a6958473625140f1e2d3c4b5a69788';
const MARKER = '<!-- flotilla-plan:prod -->';

function api(apiUrl = 'https://gitlab.example.com/api/v4') {
  nock.disableNetConnect();
  return new GitLabApi({ apiUrl, token: 'glpat-test', timeoutMs: 2_000 });
}

test('sets a commit status on a self-hosted GitLab, failure spelled "failed", with the private token', async () => {
  const scope = nock('https://gitlab.example.com', { reqheaders: { 'private-token': 'glpat-test' } })
    .post(`/api/v4/projects/4711/statuses/${SHA}`, { state: 'failed', name: 'flotilla/plan', description: '1 validation error: stacks/shop/compose.yaml:4: unknown key' })
    .reply(201, { id: 9, status: 'failed' });
  await api().setStatus('4711', SHA, { context: 'flotilla/plan', state: 'failure', description: '1 validation error: stacks/shop/compose.yaml:4: unknown key' });
  assert.ok(scope.isDone());
});

test('a project path is URL-encoded into one segment', async () => {
  const scope = nock('https://gitlab.com').post(`/api/v4/projects/acme%2Fplatform%2Ffleet-config/statuses/${SHA}`).reply(201, {});
  await new GitLabApi({ token: 't' }).setStatus('acme/platform/fleet-config', SHA, { context: 'flotilla/deploy', state: 'success', description: 'Deployed to prod' });
  assert.ok(scope.isDone());
});

test('creates the plan note when no note carries the marker (system notes are skipped)', async () => {
  const scope = nock('https://gitlab.example.com')
    .get('/api/v4/projects/4711/merge_requests/7/notes').query(true).reply(200, [{ id: 1, body: `${MARKER} mentioned in a system note`, system: true }])
    .post('/api/v4/projects/4711/merge_requests/7/notes', { body: `${MARKER}\nplan` }).reply(201, { id: 2 });
  assert.equal(await api().upsertComment('4711', 7, MARKER, `${MARKER}\nplan`), 'created');
  assert.ok(scope.isDone());
});

test('edits the note with the marker, following X-Next-Page', async () => {
  const scope = nock('https://gitlab.example.com')
    .get('/api/v4/projects/4711/merge_requests/7/notes').query((q) => q.page === '1').reply(200, [{ id: 1, body: 'nice', system: false }], { 'x-next-page': '2' })
    .get('/api/v4/projects/4711/merge_requests/7/notes').query((q) => q.page === '2').reply(200, [{ id: 55, body: `${MARKER}\nold`, system: false }], { 'x-next-page': '' })
    .put('/api/v4/projects/4711/merge_requests/7/notes/55', { body: `${MARKER}\nnew` }).reply(200, { id: 55 });
  assert.equal(await api().upsertComment('4711', 7, MARKER, `${MARKER}\nnew`), 'updated');
  assert.ok(scope.isDone());
});
