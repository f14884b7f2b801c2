import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from './nock.js';
import { NotificationDispatcher } from '../../../src/notify/dispatcher.js';
import { slackMessage } from '../../../src/notify/slack.js';
import { captureLog, counted, event, eventually, FAST_RETRY, freshMetrics, spec } from './support.js';

const HOOK_PATH = '/services/T000/B000/XXXXsecretXXXX';
const HOOK_URL = `https://hooks.slack.test${HOOK_PATH}`;

afterEach(() => nock.cleanAll());

function dispatcher(options: Record<string, unknown>, env: NodeJS.ProcessEnv = { SLACK_URL: HOOK_URL }) {
  const metrics = freshMetrics();
  const captured = captureLog();
  const d = new NotificationDispatcher({ metrics, log: captured.log, env, retry: FAST_RETRY });
  d.configure([spec('slack', options)]);
  return { d, metrics, captured };
}

test('posts a message with a sentence, the cluster, the commit and the services', async () => {
  let body: ReturnType<typeof slackMessage> | undefined;
  const scope = nock('https://hooks.slack.test').post(HOOK_PATH, (b: ReturnType<typeof slackMessage>) => ((body = b), true)).reply(200, 'ok');
  const { d, metrics } = dispatcher({ urlEnv: 'SLACK_URL' });
  d.notify(event('reverted', { restoredRevision: '0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f', message: 'shop/web failed its health check on node-b; reverted to 0f0f0f0', services: ['shop/web', 'shop/api'] }));
  await eventually('the Slack post', () => scope.isDone());
  await eventually('the success count', async () => (await counted(metrics, 'slack', 'success')) === 1);
  assert.ok(body);
  assert.equal(body.text, 'Reverted on production: shop/web failed its health check on node-b; reverted to 0f0f0f0');
  const rendered = JSON.stringify(body.blocks);
  for (const part of ['production', '`1a2b3c4`', '`0f0f0f0`', 'shop/web, shop/api', 'node-a', 'failed its health check']) assert.ok(rendered.includes(part), `${part} in ${rendered}`);
});

test('reads the webhook URL from urlFile', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-slack-'));
  writeFileSync(join(dir, 'slack-url'), `${HOOK_URL}\n`);
  const scope = nock('https://hooks.slack.test').post(HOOK_PATH).reply(200, 'ok');
  const { d } = dispatcher({ urlFile: join(dir, 'slack-url') }, {});
  d.notify(event('deployed'));
  await eventually('the Slack post', () => scope.isDone());
});

test('escapes Slack markup in names and messages', () => {
  const message = slackMessage(event('failed', { message: 'image <none> & friends', services: ['a/<b>'] }));
  const rendered = JSON.stringify(message.blocks);
  assert.ok(rendered.includes('image &lt;none&gt; &amp; friends'));
  assert.ok(!rendered.includes('<b>'));
});

test('lists at most 15 services and says how many more', () => {
  const services = Array.from({ length: 40 }, (_, i) => `s/svc${i}`);
  const rendered = JSON.stringify(slackMessage(event('drift', { services })).blocks);
  assert.ok(rendered.includes('and 25 more'));
});

test('a URL written in Git is refused: the Slack URL is the credential', async () => {
  const { d, metrics, captured } = dispatcher({ url: HOOK_URL });
  assert.match(d.describe()[0]?.problem ?? '', /must not be written in Git: use urlFile or urlEnv/);
  d.notify(event('failed'));
  assert.equal(await counted(metrics, 'slack', 'misconfigured'), 1);
  assert.ok(!captured.text().includes('XXXXsecretXXXX'));
});

test('a 403 (revoked token) is not retried; it is logged without the URL and counted as failed', async () => {
  const scope = nock('https://hooks.slack.test').post(HOOK_PATH).once().reply(403, 'invalid_token');
  const { d, metrics, captured } = dispatcher({ urlEnv: 'SLACK_URL' });
  d.notify(event('failed'));
  await eventually('the failure count', async () => (await counted(metrics, 'slack', 'failed')) === 1);
  assert.ok(scope.isDone());
  const failure = captured.lines.find((l) => l.msg === 'notification slack-1 failed; giving up');
  assert.equal(failure?.error, 'https://hooks.slack.test answered 403: invalid_token');
  assert.equal(failure?.attempts, 1);
  assert.ok(!captured.text().includes('XXXXsecretXXXX'), 'the webhook path (its token) is never logged');
});

test('Slack answering 500 is retried, then given up, counted and logged; notify never throws', async () => {
  const scope = nock('https://hooks.slack.test').post(HOOK_PATH).times(3).reply(500, 'oops');
  const { d, metrics, captured } = dispatcher({ urlEnv: 'SLACK_URL' });
  assert.doesNotThrow(() => d.notify(event('failed')));
  await eventually('the failure count', async () => (await counted(metrics, 'slack', 'failed')) === 1);
  assert.ok(scope.isDone(), 'three attempts');
  assert.equal(captured.lines.filter((l) => l.msg === 'notification attempt failed; will retry').length, 3);
  assert.equal(await counted(metrics, 'slack', 'success'), 0);
});
