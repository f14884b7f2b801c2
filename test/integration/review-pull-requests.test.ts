// Pull-request reviews end to end: signed pull-request webhooks from GitHub, GitLab and
// Gitea reach the daemon's real HTTP server; the reviewer fetches the PR refs the forges
// keep (refs/pull/N/head, refs/merge-requests/N/head, made here with `git update-ref` in the
// bare repository) from the real Git server, plans them against a real fleet that is
// already running the tracked branch, and posts to the forge APIs (nock). The fleet must
// come out untouched: a review never deploys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineNode } from '../../src/docker/engine-node.js';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../src/log.js';
import { GitHubApi } from '../../src/notify/github.js';
import { GitLabApi } from '../../src/notify/gitlab.js';
import { PullRequestReviewer } from '../../src/review/reviewer.js';
import { listen, type ListeningServer } from '../../src/server/http-server.js';
import { createRouter } from '../../src/server/routes.js';
import { webhookRoutes } from '../../src/server/webhook-routes.js';
import type { WebhookProviderName } from '../../src/sync/webhooks/types.js';
import { clusterFiles, ConfigRepo, fleetClusterNodes, webStack, type ClusterConfig } from '../support/config-repo.js';
import { run } from '../support/exec.js';
import { startFleet } from '../support/fleet.js';
import { listFleet } from '../support/fleet-view.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { gitEnv } from '../support/git-workcopy.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import nock from '../unit/notify/nock.js';
import { changed, fixture, obj, SECRET, signatureHeader, type Fixture } from '../unit/webhooks/support.js';

const TOKEN = 'review-e2e-token';
const FORGE_TOKEN = 'forge-api-token';
const REPO = 'fleet-config';
const MARKER = '<!-- flotilla-plan:it -->';

/** A commit on a branch of the bare repository, published under the forge's PR ref too. */
async function pullRequestCommit(git: GitServer, config: ClusterConfig, branch: string, ref: string, message: string, extra: Record<string, string> = {}): Promise<string> {
  const sha = await git.commitFiles(REPO, { ...clusterFiles(config), ...extra }, message, { branch });
  await run('git', ['-C', git.repoPath(REPO), 'update-ref', ref, sha], { env: gitEnv(git.root) });
  return sha;
}

async function deliver(server: ListeningServer, provider: WebhookProviderName, f: Fixture): Promise<Record<string, unknown>> {
  const body = Buffer.from(JSON.stringify(f.payload));
  const res = await fetch(`http://${server.address}/hooks/${provider}`, { method: 'POST', headers: { ...f.headers, ...signatureHeader(provider, body) }, body });
  assert.equal(res.status, 202);
  return (await res.json()) as Record<string, unknown>;
}

// Bodies are recorded by body matchers (nock 15 reply callbacks that take the body never
// answer on Node 20). A matcher may be tried on requests to other paths of the same host,
// so each records only bodies of its own shape.
function record(into: Array<Record<string, unknown>>) {
  return (body: Record<string, unknown>): boolean => {
    if (typeof body.state !== 'string') return false;
    into.push(body);
    return true;
  };
}

function recordComment(into: string[]) {
  return (body: Record<string, unknown>): boolean => {
    if (typeof body.body !== 'string') return false;
    into.push(body.body);
    return true;
  };
}

interface Posted {
  statuses: Array<Record<string, unknown>>;
  comments: string[];
}

/** GitHub-shaped API (GitHub itself, or Gitea under /api/v1): one review, fresh or editing comment `existing`. */
function expectGitHubReview(origin: string, prefix: string, number: number, sha: string, existing?: { id: number; body: string }): Posted {
  const posted: Posted = { statuses: [], comments: [] };
  const api = nock(origin, { reqheaders: { authorization: `token ${FORGE_TOKEN}` } });
  api.post(`${prefix}/repos/acme/fleet-config/statuses/${sha}`, record(posted.statuses)).times(2).reply(201, {});
  api.get(`${prefix}/repos/acme/fleet-config/issues/${number}/comments`).query(true).reply(200, existing ? [{ id: 5, body: 'LGTM' }, existing] : [{ id: 5, body: 'LGTM' }]);
  if (existing) api.patch(`${prefix}/repos/acme/fleet-config/issues/comments/${existing.id}`, recordComment(posted.comments)).reply(200, {});
  else api.post(`${prefix}/repos/acme/fleet-config/issues/${number}/comments`, recordComment(posted.comments)).reply(201, { id: 901 });
  return posted;
}

test('pull-request reviews from GitHub, GitLab and Gitea against a real fleet', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 2, name: 'review-e2e' });
  const git = await startGitServer({ token: TOKEN });
  const cleanups: Array<() => Promise<void> | void> = [];
  // A request to a forge that the test did not expect fails in nock; the reviewer logs it.
  const problems: string[] = [];
  const log = createLogger({ level: 'warn', pretty: false, destination: new Writable({ write: (chunk: Buffer, _enc, done) => (problems.push(chunk.toString()), done()) }) });
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const base: ClusterConfig = { name: 'it', nodes: fleetClusterNodes(fleet), stacks: { shop: webStack({ web: { replicas: 1 } }) } };
    const { repo } = await ConfigRepo.create(git, REPO, base);
    const flotilla = await startInProcess({ repoUrl: repo.url, token: TOKEN });
    cleanups.push(flotilla.close);
    await reconcileExpecting(flotilla, 'success');
    const before = (await listFleet(fleet)).map((c) => `${c.node}/${c.name}/${c.id}`);

    const reviewer = new PullRequestReviewer({
      source: flotilla.app.source,
      nodeFactory: (spec) => EngineNode.fromSpec(spec),
      posters: {
        github: new GitHubApi({ token: FORGE_TOKEN }),
        gitea: new GitHubApi({ apiUrl: 'https://gitea.example.com/api/v1', token: FORGE_TOKEN }),
        gitlab: new GitLabApi({ apiUrl: 'https://gitlab.example.com/api/v4', token: FORGE_TOKEN }),
      },
      log,
    });
    cleanups.push(() => reviewer.stop());
    const router = createRouter({
      ready: () => true, status: () => ({}), history: () => [], requestSync: () => assert.fail('a review must not sync'), registry: flotilla.app.metrics.registry,
      extra: webhookRoutes({ secret: SECRET, repoUrl: repo.url, branch: 'main', queue: { request: () => assert.fail('a pull request must not reconcile') }, onPullRequest: reviewer.onPullRequest }),
    });
    const server = await listen(router, '127.0.0.1:0', silentLogger());
    cleanups.push(() => server.close());
    // The forge APIs are nock's; the Git server, the daemon and the fleet's sockets are real.
    nock.disableNetConnect();
    nock.enableNetConnect((host) => host.startsWith('127.0.0.1') || host.startsWith('localhost'));

    const githubPr = fixture('github-pull-request-opened');
    const githubEvent = (action: string, number: number, sha: string) => changed(githubPr, (p) => {
      p.action = action;
      p.number = number;
      const pr = obj(p, 'pull_request');
      pr.number = number;
      obj(pr, 'head').sha = sha;
      obj(pr, 'base', 'repo').clone_url = repo.url;
    });

    let firstComment = '';
    await t.test('github: an opened pull request gets one plan comment and a success status with the summary', async () => {
      const sha = await pullRequestCommit(git, { ...base, stacks: { shop: webStack({ web: { replicas: 3 } }) } }, 'scale-web', 'refs/pull/12/head', 'web to 3');
      const posted = expectGitHubReview('https://api.github.com', '', 12, sha);
      assert.deepEqual(await deliver(server, 'github', { ...githubEvent('opened', 12, sha), headers: { ...githubPr.headers, 'x-github-delivery': 'gh-1' } }), { accepted: true, action: 'review', pullRequest: 12, delivery: 'gh-1' });
      await reviewer.idle();
      assert.ok(nock.isDone(), `pending: ${nock.pendingMocks().join(', ')}`);
      assert.deepEqual(posted.statuses.map((s) => [s.context, s.state, s.description]), [['flotilla/plan', 'pending', 'Planning against the live fleet…'], ['flotilla/plan', 'success', '2 to create']]);
      firstComment = posted.comments[0] ?? '';
      assert.ok(firstComment.startsWith(`${MARKER}\n### Flotilla plan for \`it\` at \`${sha}\``), firstComment.slice(0, 200));
      assert.match(firstComment, /\*\*Plan: 2 to create, 0 to replace, 0 to remove\.\*\*/);
      assert.match(firstComment, /\| 🟢 create \| `shop-web-2` \| node-[ab] \|/);
      assert.doesNotMatch(firstComment, /Not observed/, 'both nodes are the tracked branch\'s own, so both were observed');
    });

    await t.test('github: a new push to the pull request edits that comment, never adds one', async () => {
      const sha = await pullRequestCommit(git, { ...base, stacks: { shop: webStack({ web: { replicas: 3, environment: { GREETING: 'hi' } } }) } }, 'scale-web', 'refs/pull/12/head', 'web to 3, greeting');
      const posted = expectGitHubReview('https://api.github.com', '', 12, sha, { id: 901, body: firstComment });
      await deliver(server, 'github', { ...githubEvent('synchronize', 12, sha), headers: { ...githubPr.headers, 'x-github-delivery': 'gh-2' } });
      await reviewer.idle();
      assert.ok(nock.isDone(), `pending: ${nock.pendingMocks().join(', ')}`);
      assert.equal(posted.statuses.at(-1)?.description, '2 to create, 1 to replace');
      assert.match(posted.comments[0] ?? '', /🟡 replace \| `shop-web-1`/);
    });

    await t.test('github: an invalid pull request fails its status with file:line and lists the errors', async () => {
      const sha = await pullRequestCommit(git, base, 'broken', 'refs/pull/13/head', 'typo', { 'stacks/shop/compose.yaml': 'services:\n  web:\n    image: flotilla-test/web:healthy\n    replicas: 2\n' });
      const posted = expectGitHubReview('https://api.github.com', '', 13, sha);
      await deliver(server, 'github', { ...githubEvent('opened', 13, sha), headers: { ...githubPr.headers, 'x-github-delivery': 'gh-3' } });
      await reviewer.idle();
      assert.ok(nock.isDone(), `pending: ${nock.pendingMocks().join(', ')}`);
      const status = posted.statuses.at(-1);
      assert.equal(status?.state, 'failure');
      assert.match(String(status?.description), /^1 validation error: stacks\/shop\/compose\.yaml:4: /);
      assert.ok(String(status?.description).length <= 140);
      assert.match(posted.comments[0] ?? '', /❌ 1 validation error: this commit would not be applied/);
      assert.match(posted.comments[0] ?? '', /stacks\/shop\/compose\.yaml:4:\d+: .*replicas/);
    });

    await t.test('gitlab: a merge request is reviewed from refs/merge-requests/IID/head, with a note and a status', async () => {
      const sha = await pullRequestCommit(git, { ...base, stacks: { shop: webStack({ web: { replicas: 2 } }) } }, 'mr-branch', 'refs/merge-requests/7/head', 'web to 2');
      const statuses: Array<Record<string, unknown>> = [];
      const notes: string[] = [];
      nock('https://gitlab.example.com', { reqheaders: { 'private-token': FORGE_TOKEN } })
        .post(`/api/v4/projects/4711/statuses/${sha}`, record(statuses)).times(2).reply(201, {})
        .get('/api/v4/projects/4711/merge_requests/7/notes').query(true).reply(200, [])
        .post('/api/v4/projects/4711/merge_requests/7/notes', recordComment(notes)).reply(201, { id: 31 });
      const mr = changed(fixture('gitlab-merge-request-open'), (p) => {
        obj(p, 'project').git_http_url = repo.url;
        obj(p, 'object_attributes', 'last_commit').id = sha;
      });
      assert.equal((await deliver(server, 'gitlab', mr)).action, 'review');
      await reviewer.idle();
      assert.ok(nock.isDone(), `pending: ${nock.pendingMocks().join(', ')}`);
      assert.deepEqual(statuses.map((s) => [s.name, s.state, s.description]), [['flotilla/plan', 'pending', 'Planning against the live fleet…'], ['flotilla/plan', 'success', '1 to create']]);
      assert.equal(notes.length, 1);
      assert.ok(notes[0]?.startsWith(MARKER));
      assert.match(notes[0] ?? '', /Plan: 1 to create/);
    });

    await t.test('gitea: a pull request is reviewed through the GitHub-shaped Gitea API', async () => {
      const sha = await pullRequestCommit(git, { ...base, stacks: { shop: webStack({ web: { replicas: 1 }, api: { replicas: 1 } }) } }, 'add-api', 'refs/pull/3/head', 'add api');
      const posted = expectGitHubReview('https://gitea.example.com', '/api/v1', 3, sha);
      const pr = changed(fixture('gitea-pull-request-opened'), (p) => {
        const body = obj(p, 'pull_request');
        obj(body, 'head').sha = sha;
        obj(body, 'base', 'repo').clone_url = repo.url;
      });
      assert.equal((await deliver(server, 'gitea', pr)).action, 'review');
      await reviewer.idle();
      assert.ok(nock.isDone(), `pending: ${nock.pendingMocks().join(', ')}`);
      assert.equal(posted.statuses.at(-1)?.description, '1 to create');
      assert.match(posted.comments[0] ?? '', /#### shop\/api/);
    });

    assert.deepEqual(problems, [], 'no review failed, no status was refused');
    assert.deepEqual((await listFleet(fleet)).map((c) => `${c.node}/${c.name}/${c.id}`), before, 'reviews left the fleet exactly as it was');
  } finally {
    nock.cleanAll();
    nock.enableNetConnect();
    for (const c of cleanups.reverse()) await c();
    await git.close();
    await fleet.stop();
  }
});
