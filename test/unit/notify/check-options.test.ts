import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notificationOptionProblems } from '../../../src/notify/check-options.js';
import { spec } from './support.js';

const messages = (...args: Parameters<typeof spec>) => notificationOptionProblems(spec(...args)).map((p) => `${p.key ?? '-'}: ${p.message}`);

test('a Slack URL written in Git is refused with what to do instead', () => {
  assert.deepEqual(messages('slack', { url: 'https://hooks.slack.com/services/T/B/X' }, undefined, 'ops'), [
    "url: notification ops: the slack url is a credential and must not be written in Git; put it in a file on the daemon's host (urlFile) or in its environment (urlEnv)",
  ]);
  assert.deepEqual(messages('slack', { urlFile: '/etc/flotilla/slack' }), []);
  assert.deepEqual(messages('slack', {}, undefined, 'ops'), ['-: notification ops: the slack provider needs urlFile or urlEnv']);
});

test('a webhook needs a URL (inline is fine without credentials) and a secret from outside Git', () => {
  assert.deepEqual(messages('webhook', { url: 'https://ci.example.com/hook', secretEnv: 'S' }), []);
  assert.deepEqual(messages('webhook', { url: 'https://ci.example.com/hook' }, undefined, 'ci'), ['-: notification ci: the webhook provider needs secretFile or secretEnv']);
  assert.deepEqual(messages('webhook', { url: 'https://ci.example.com/hook?token=abc', secretEnv: 'S' }, undefined, 'ci').map((m) => m.split(':')[0]), ['url']);
  assert.deepEqual(messages('webhook', { urlEnv: 'U', urlFile: '/x', secretFile: '/s' }, undefined, 'ci'), ['urlEnv: notification ci: give only one of urlFile, urlEnv']);
});

test('GitHub and GitLab tokens come from files or the environment', () => {
  assert.deepEqual(messages('github', { tokenEnv: 'GITHUB_TOKEN', repository: 'acme/fleet' }), []);
  assert.deepEqual(messages('gitlab', { project: 'acme/fleet' }, undefined, 'gl'), ['-: notification gl: the gitlab provider needs tokenFile or tokenEnv']);
  assert.deepEqual(messages('github', { tokenEnv: 'T' }, undefined, 'gh'), ['-: notification gh: the github provider needs repository: owner/name']);
});

test('only a credential written in Git is severe enough to refuse a commit; the rest is incomplete', () => {
  const severities = (...args: Parameters<typeof spec>) => notificationOptionProblems(spec(...args)).map((p) => p.severity);
  assert.deepEqual(severities('slack', { url: 'https://hooks.slack.com/services/T/B/X' }), ['credential']);
  assert.deepEqual(severities('webhook', { url: 'https://user:pw@ci.example.com/hook', secretEnv: 'S' }), ['credential']);
  assert.deepEqual(severities('github', { token: 'ghp_x', repository: 'acme/fleet' }), ['credential']);
  assert.deepEqual(severities('slack', {}), ['incomplete']);
  assert.deepEqual(severities('github', { tokenEnv: 'T' }), ['incomplete']);
  assert.deepEqual(severities('webhook', { urlEnv: 'U', urlFile: '/x', secretFile: '/s' }), ['incomplete']);
});
