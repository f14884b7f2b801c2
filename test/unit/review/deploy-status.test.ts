import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nock from '../notify/nock.js';
import type { NotificationSpec } from '../../../src/manifests/model.js';
import { createGitHubProvider } from '../../../src/notify/github.js';
import { createGitLabProvider } from '../../../src/notify/gitlab.js';
import { NotificationConfigError } from '../../../src/notify/provider.js';
import type { FleetEvent } from '../../../src/notify/types.js';

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

const SHA = '9d3f1c2b7a4e5f60718293a4b5c6d7e8f9012345';
const context = { secrets: { env: { FORGE_TOKEN: 'tok-123' }, baseDir: '/' }, timeoutMs: 2_000 };
const attempt = () => ({ id: 'd1', attempt: 1, signal: new AbortController().signal });

function spec(provider: 'github' | 'gitlab', options: Record<string, unknown>): NotificationSpec {
  return { name: `${provider}-status`, provider, events: ['deployed', 'failed', 'reverted'], options };
}

function fleetEvent(type: FleetEvent['type'], message = 'shop/web failed its health check on node-b; reverted to 1a2b3c4'): FleetEvent {
  return { type, cluster: 'prod', revision: SHA, stacks: ['shop'], services: ['shop/web'], nodes: ['node-b'], message, at: '2026-11-21T10:16:00Z' };
}

test('github: deployed, failed and reverted set flotilla/deploy to success, failure and failure "Reverted…"', async () => {
  nock.disableNetConnect();
  const bodies: unknown[] = [];
  const scope = nock('https://ghe.example.com', { reqheaders: { authorization: 'token tok-123' } })
    .post(`/api/v3/repos/acme/fleet-config/statuses/${SHA}`, (b: unknown) => (bodies.push(b), true)).times(3).reply(201, {});
  const provider = createGitHubProvider(spec('github', { repository: 'acme/fleet-config', apiUrl: 'https://ghe.example.com/api/v3', tokenEnv: 'FORGE_TOKEN' }), context);
  assert.equal(provider.kind, 'github');
  assert.equal(provider.target, 'https://ghe.example.com');
  for (const type of ['deployed', 'failed', 'reverted'] as const) await provider.deliver(fleetEvent(type), attempt());
  await provider.deliver(fleetEvent('drift'), attempt());
  assert.ok(scope.isDone());
  assert.deepEqual(bodies, [
    { state: 'success', context: 'flotilla/deploy', description: 'Deployed to prod' },
    { state: 'failure', context: 'flotilla/deploy', description: 'Rollout failed on prod: shop/web failed its health check on node-b; reverted to 1a2b3c4' },
    { state: 'failure', context: 'flotilla/deploy', description: 'Reverted on prod: shop/web failed its health check on node-b; reverted to 1a2b3c4' },
  ]);
});

test('github: descriptions are cut to 140 characters', async () => {
  nock.disableNetConnect();
  let description = '';
  nock('https://api.github.com').post(`/repos/acme/fleet-config/statuses/${SHA}`, (b: { description: string }) => ((description = b.description), true)).reply(201, {});
  const provider = createGitHubProvider(spec('github', { repository: 'acme/fleet-config', tokenEnv: 'FORGE_TOKEN' }), context);
  await provider.deliver(fleetEvent('failed', 'x'.repeat(500)), attempt());
  assert.equal(description.length, 140);
  assert.ok(description.endsWith('…'));
});

test('gitlab: a deploy status on the project, "failed" for a revert', async () => {
  nock.disableNetConnect();
  const scope = nock('https://gitlab.example.com', { reqheaders: { 'private-token': 'tok-123' } })
    .post(`/api/v4/projects/acme%2Ffleet-config/statuses/${SHA}`, { state: 'failed', name: 'flotilla/deploy', description: 'Reverted on prod: shop/web failed its health check on node-b; reverted to 1a2b3c4' })
    .reply(201, {});
  const provider = createGitLabProvider(spec('gitlab', { project: 'acme/fleet-config', apiUrl: 'https://gitlab.example.com/api/v4', tokenEnv: 'FORGE_TOKEN' }), context);
  await provider.deliver(fleetEvent('reverted'), attempt());
  assert.ok(scope.isDone());
});

test('a revision that is not a commit (a plain directory) gets no status', async () => {
  nock.disableNetConnect();
  const provider = createGitHubProvider(spec('github', { repository: 'acme/fleet-config', tokenEnv: 'FORGE_TOKEN' }), context);
  await provider.deliver({ ...fleetEvent('deployed'), revision: 'dir-abc123' }, attempt());
});

test('misconfigurations are reported per notification: no repository, a token written in Git, no token', () => {
  assert.throws(() => createGitHubProvider(spec('github', { tokenEnv: 'FORGE_TOKEN' }), context), NotificationConfigError);
  assert.throws(() => createGitHubProvider(spec('github', { repository: 'acme/fleet-config', token: 'ghp_in_git' }), context), /must not be written in Git/);
  assert.throws(() => createGitHubProvider(spec('github', { repository: 'acme/fleet-config', tokenEnv: 'UNSET_VAR' }), context), /not set/);
  assert.throws(() => createGitLabProvider(spec('gitlab', { tokenEnv: 'FORGE_TOKEN' }), context), /needs project/);
  assert.throws(() => createGitLabProvider(spec('gitlab', { project: '1', tokenEnv: 'FORGE_TOKEN', apiUrl: 'ftp://x' }), context), /apiUrl/);
});
