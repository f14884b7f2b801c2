// GitHub and GitLab are chosen by the factory map and go through the same queue, retries
// and counting as every provider (their API clients are tested in test/unit/review).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nock from './nock.js';
import { NotificationDispatcher } from '../../../src/notify/dispatcher.js';
import { captureLog, counted, event, eventually, FAST_RETRY, freshMetrics, spec } from './support.js';

const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';

afterEach(() => nock.cleanAll());

test('a deploy sets the flotilla/deploy status on GitHub, retrying a 502', async () => {
  const scope = nock('https://api.github.test', { reqheaders: { authorization: (v) => v === 'Bearer ghp_test_token_123' || v === 'token ghp_test_token_123' } })
    .post(`/repos/acme/fleet/statuses/${SHA}`).reply(502, 'bad gateway')
    .post(`/repos/acme/fleet/statuses/${SHA}`, (body: { state: string; context: string }) => body.state === 'success' && body.context === 'flotilla/deploy').reply(201, {});
  const metrics = freshMetrics();
  const d = new NotificationDispatcher({ metrics, log: captureLog().log, env: { GH: 'ghp_test_token_123' }, retry: FAST_RETRY });
  d.configure([spec('github', { repository: 'acme/fleet', tokenEnv: 'GH', apiUrl: 'https://api.github.test' }, ['deployed'])]);
  d.notify(event('deployed', { revision: SHA }));
  await eventually('the success count', async () => (await counted(metrics, 'github', 'success')) === 1);
  assert.ok(scope.isDone());
});

test('a failed rollout sets a failure status on GitLab; GitLab answering 503 is retried, given up and counted', async () => {
  const scope = nock('https://gitlab.test').post(new RegExp(`/api/v4/projects/acme%2Ffleet/statuses/${SHA}`)).times(3).reply(503, 'GitLab is not available');
  const metrics = freshMetrics();
  const captured = captureLog();
  const d = new NotificationDispatcher({ metrics, log: captured.log, env: { GL: 'glpat-test-token' }, retry: FAST_RETRY });
  d.configure([spec('gitlab', { project: 'acme/fleet', tokenEnv: 'GL', apiUrl: 'https://gitlab.test/api/v4' }, ['failed'])]);
  d.notify(event('failed', { revision: SHA }));
  await eventually('the failure count', async () => (await counted(metrics, 'gitlab', 'failed')) === 1).catch((e: Error) => assert.fail(`${e.message}\n${captured.text()}`));
  assert.ok(scope.isDone(), 'three attempts');
});
