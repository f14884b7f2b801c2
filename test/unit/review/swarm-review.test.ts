// A pull-request review of an engine: swarm cluster shows service-level changes, planned by
// the Swarm engine against the live services of a (nock-served) manager: a new image is
// `updated` with its field diff, a new replica count `scaled 2 -> 3`, a new service
// `created`, one dropped from Git `removed`. Managers the tracked branch does not name are
// never contacted: the review plans against an empty swarm and says so.
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import nock from '../notify/nock.js';
import { GitHubApi } from '../../../src/notify/github.js';
import { silentLogger } from '../../../src/log.js';
import { PullRequestReviewer } from '../../../src/review/reviewer.js';
import { openGitSource } from '../../../src/sync/git-source.js';
import { DesiredStateCache } from '../../../src/reconcile/rollout/desired-cache.js';
import { SwarmEngine } from '../../../src/engine/swarm/swarm-engine.js';
import type { PullRequestEvent } from '../../../src/sync/webhooks/types.js';
import { cleanup, LocalRepo, swarmClusterFiles } from './support.js';

after(cleanup);
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

const MANAGER = 'http://swarm-manager.test:2375';
const GITHUB = 'https://api.github.com';
const REPO = 'acme/fleet-config';

const BASE: Record<string, [string, number]> = { web: ['example/web:1', 2], api: ['example/api:1', 2], legacy: ['example/legacy:1', 1] };
const HEAD: Record<string, [string, number]> = { web: ['example/web:2', 2], api: ['example/api:1', 3], worker: ['example/worker:1', 1] };

function event(number: number, headSha: string): PullRequestEvent {
  return {
    kind: 'pull_request', provider: 'github', repository: { urls: [], fullNames: [REPO] }, apiRepository: REPO,
    number, action: 'opened', headSha, headRef: `refs/pull/${number}/head`, baseBranch: 'main',
  };
}

/** The manager's answers for the base commit as deployed: its services as Docker stores them. */
async function serveSwarmOf(source: ReturnType<typeof openGitSource>, revision: string): Promise<nock.Scope> {
  const loaded = await new DesiredStateCache(source, undefined).load(revision);
  assert.ok(loaded.state, 'the base commit validates');
  const swarm = new SwarmEngine({ managers: ['tcp://unused.test:1'] }).applied(loaded.state).swarm;
  assert.ok(swarm);
  const services = swarm.services.map((s, i) => ({ ID: `svc${i}`, Version: { Index: 10 + i }, Spec: s.spec, UpdateStatus: { State: 'completed' } }));
  const nodes = [{ ID: 'N1', Version: { Index: 3 }, Description: { Hostname: 'n1' }, Spec: { Role: 'manager', Availability: 'active', Labels: {} }, Status: { State: 'ready' } }];
  const networks = swarm.networks.map((n) => ({ Id: n.id, Name: n.name, Labels: n.labels }));
  return nock(MANAGER).persist()
    .get('/nodes').reply(200, nodes)
    .get('/services').reply(200, services)
    .get('/tasks').reply(200, [])
    .get('/networks').query(true).reply(200, networks)
    .get('/configs').query(true).reply(200, [])
    .get('/secrets').query(true).reply(200, []);
}

function github(): { comments: string[]; statuses: Array<{ state: string; description: string }>; scope: nock.Scope } {
  const comments: string[] = [];
  const statuses: Array<{ state: string; description: string }> = [];
  const scope = nock(GITHUB).persist()
    .post(/\/repos\/acme\/fleet-config\/statuses\/[0-9a-f]+/).reply(201, {})
    .get('/repos/acme/fleet-config/issues/7/comments').query(true).reply(200, [])
    .post('/repos/acme/fleet-config/issues/7/comments').reply(201, { id: 1 });
  // Bodies are read where the request leaves, once each (a body matcher may be asked more than once).
  scope.on('request', (_req: unknown, _i: unknown, body: string) => {
    if (!body) return;
    const sent = JSON.parse(body) as { state?: string; description?: string; body?: string };
    if (sent.body !== undefined) comments.push(sent.body);
    else if (sent.state !== undefined) statuses.push({ state: sent.state, description: sent.description ?? '' });
  });
  return { comments, statuses, scope };
}

async function reviewer(repo: LocalRepo): Promise<{ reviewer: PullRequestReviewer; source: ReturnType<typeof openGitSource> }> {
  const source = openGitSource({ repo: repo.dir, branch: 'main', stateDir: join(repo.dir, '.flotilla') });
  const r = new PullRequestReviewer({
    source,
    // A swarm review never builds a node client: the nodes are the manager's to report.
    nodeFactory: () => assert.fail('no node of a swarm is contacted directly'),
    posters: { github: new GitHubApi({ token: 'tok', timeoutMs: 2_000 }) },
    log: silentLogger(),
  });
  return { reviewer: r, source };
}

test('a swarm pull request comment shows services updated with a field diff, scaled, created and removed', async () => {
  nock.disableNetConnect();
  const repo = await LocalRepo.create();
  const base = await repo.commit(swarmClusterFiles(BASE), 'base');
  const head = await repo.commitOnRef('refs/pull/7/head', swarmClusterFiles(HEAD), 'web v2, api to 3, worker in, legacy out');
  const { reviewer: r, source } = await reviewer(repo);
  const manager = await serveSwarmOf(source, base);
  const forge = github();

  const report = await r.review(event(7, head));
  assert.equal(report.outcome, 'planned');
  assert.ok(manager.isDone(), 'the live services were read from the manager');
  const body = forge.comments[0] ?? '';
  assert.match(body, /^<!-- flotilla-plan:sw -->\n### Flotilla plan for `sw`/);
  assert.ok(body.includes('| 🟡 updated | `shop_web` | swarm |'), body);
  assert.ok(body.includes('```diff\n# shop_web\n- TaskTemplate.ContainerSpec.Image: example/web:1\n+ TaskTemplate.ContainerSpec.Image: example/web:2\n```'), body);
  assert.ok(body.includes('| 🟡 scaled 2 -> 3 | `shop_api` | swarm |'), body);
  assert.ok(body.includes('| 🟢 created | `shop_worker` | swarm |'), body);
  assert.match(body, /#### shop\/legacy \(no longer declared\)\n\n.*\n.*\n\| 🔴 removed \| `shop_legacy` \| swarm \|/);
  // Service-level only: no container plan of plain hosts (`<stack>-<service>-<slot>` on a node).
  assert.doesNotMatch(body, /shop-web-\d|\| 🟢 create \|/);
  assert.match(body, /\*\*Plan: 1 to create, 2 to replace, 1 to remove\.\*\*/);
  assert.deepEqual(forge.statuses.map((s) => [s.state, s.description]), [['pending', 'Planning against the live fleet…'], ['success', '1 to create, 2 to replace, 1 to remove']]);
});

test('a pull request that points the swarm at other managers is planned against an empty swarm, without contacting them', async () => {
  nock.disableNetConnect();
  const repo = await LocalRepo.create();
  await repo.commit(swarmClusterFiles(BASE), 'base');
  const head = await repo.commitOnRef('refs/pull/7/head', swarmClusterFiles(HEAD, 'tcp://attacker.test:2375'), 'other manager');
  const { reviewer: r } = await reviewer(repo);
  const attacker = nock('http://attacker.test:2375').get(/.*/).reply(200, []);
  const forge = github();

  await r.review(event(7, head));
  const body = forge.comments[0] ?? '';
  assert.equal(attacker.isDone(), false, 'the new manager was not contacted');
  for (const svc of ['web', 'api', 'worker']) assert.ok(body.includes(`| 🟢 created | \`shop_${svc}\` | swarm |`), body);
  assert.match(body, /The swarm was not contacted \(its Swarm managers change in this pull request/);
});
