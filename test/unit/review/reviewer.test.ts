import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RecordingDockerNode } from '../../../src/docker/recording-node.js';
import type { NodeSpec } from '../../../src/manifests/model.js';
import { silentLogger } from '../../../src/log.js';
import { PullRequestReviewer } from '../../../src/review/reviewer.js';
import { openGitSource } from '../../../src/sync/git-source.js';
import type { PullRequestEvent } from '../../../src/sync/webhooks/types.js';
import { cleanup, clusterFiles, FakeForge, LocalRepo, type ClusterDecl } from './support.js';

after(cleanup);

const NODE_A = { name: 'node-a', endpoint: 'unix:///run/flotilla-test/a.sock' };
const BASE: ClusterDecl = { nodes: [NODE_A], services: { web: ['example/web:1', 1] } };

async function setup() {
  const repo = await LocalRepo.create();
  const baseSha = await repo.commit(clusterFiles(BASE), 'base');
  const contacted: NodeSpec[] = [];
  const nodes = new Map<string, RecordingDockerNode>();
  const forge = new FakeForge();
  const reviewer = new PullRequestReviewer({
    source: openGitSource({ repo: repo.dir, branch: 'main', stateDir: join(repo.dir, '.flotilla') }),
    nodeFactory: (spec) => {
      contacted.push(spec);
      const node = new RecordingDockerNode(spec.name);
      nodes.set(spec.name, node);
      return node;
    },
    posters: { github: forge },
    log: silentLogger(),
  });
  return { repo, baseSha, contacted, nodes, forge, reviewer };
}

function event(number: number, headSha: string, action = 'opened'): PullRequestEvent {
  return {
    kind: 'pull_request', provider: 'github', repository: { urls: [], fullNames: ['acme/fleet-config'] }, apiRepository: 'acme/fleet-config',
    number, action, headSha, headRef: `refs/pull/${number}/head`, baseBranch: 'main',
  };
}

test('reviews a pull request: plans its head against the observed fleet, one comment, pending then success', async () => {
  const { repo, forge, reviewer, nodes } = await setup();
  const head = await repo.commitOnRef('refs/pull/12/head', clusterFiles({ ...BASE, services: { web: ['example/web:1', 3] } }), 'web to 3');
  const report = await reviewer.review(event(12, head));
  assert.deepEqual(report, { outcome: 'planned', revision: head, comment: 'created' });
  assert.deepEqual(forge.statuses.map((s) => [s.sha, s.context, s.state, s.description]), [
    [head, 'flotilla/plan', 'pending', 'Planning against the live fleet…'],
    [head, 'flotilla/plan', 'success', '3 to create'],
  ]);
  const [comment] = [...forge.comments.values()];
  assert.ok(comment?.body.startsWith('<!-- flotilla-plan:prod -->\n### Flotilla plan for `prod`'));
  assert.match(comment?.body ?? '', /Plan: 3 to create, 0 to replace, 0 to remove/);
  assert.equal(nodes.get('node-a')?.calls.listContainers, 1, 'the live fleet was observed');
  assert.equal(nodes.get('node-a')?.writes.length, 0, 'and nothing was changed on it');
});

test('each new push edits the same comment instead of adding one', async () => {
  const { repo, forge, reviewer } = await setup();
  const first = await repo.commitOnRef('refs/pull/4/head', clusterFiles({ ...BASE, services: { web: ['example/web:1', 2] } }), 'two');
  await reviewer.review(event(4, first));
  const second = await repo.commitOnRef('refs/pull/4/head', clusterFiles({ ...BASE, services: { web: ['example/web:2', 2] } }), 'two, v2');
  const report = await reviewer.review(event(4, second, 'synchronize'));
  assert.equal(report.comment, 'updated');
  assert.equal(forge.comments.size, 1);
  assert.equal([...forge.comments.values()][0]?.edits, 1);
  assert.match([...forge.comments.values()][0]?.body ?? '', new RegExp(`Plan of \`${second}\``));
  assert.equal(forge.latest(first)?.description, '2 to create');
  assert.equal(forge.latest(second)?.description, '2 to create');
});

test('an invalid head fails the status with file:line and lists every error in the comment', async () => {
  const { repo, forge, reviewer, contacted } = await setup();
  const broken = 'services:\n  web:\n    image: example/web:1\n    deploy: { replicas: 1 }\n    bogus_key: 1\n  api:\n    deploy: { replicas: 1 }\n';
  const head = await repo.commitOnRef('refs/pull/5/head', clusterFiles({ ...BASE, composeText: broken }), 'broken');
  const report = await reviewer.review(event(5, head));
  assert.equal(report.outcome, 'invalid');
  const status = forge.latest(head);
  assert.equal(status?.state, 'failure');
  assert.match(status?.description ?? '', /^2 validation errors: stacks\/shop\/compose\.yaml:\d+: /);
  const body = [...forge.comments.values()][0]?.body ?? '';
  assert.match(body, /bogus_key/);
  assert.match(body, /stacks\/shop\/compose\.yaml:\d+:\d+: .*image/);
  assert.deepEqual(contacted, [], 'an invalid commit is not planned, so no node is contacted');
});

test('nodes the pull request adds or re-points are planned as empty and never contacted', async () => {
  const { repo, forge, reviewer, contacted } = await setup();
  const evil = { name: 'node-a', endpoint: 'tcp://198.51.100.7:2375' };
  const added = { name: 'node-b', endpoint: 'tcp://203.0.113.9:2375' };
  const head = await repo.commitOnRef('refs/pull/6/head', clusterFiles({ nodes: [evil, added], services: { web: ['example/web:1', 2] } }), 're-point');
  const report = await reviewer.review(event(6, head));
  assert.equal(report.outcome, 'planned');
  assert.deepEqual(contacted, [], 'neither the re-pointed nor the new endpoint was contacted');
  const body = [...forge.comments.values()][0]?.body ?? '';
  assert.match(body, /`node-a`: its endpoint changes in this pull request/);
  assert.match(body, /`node-b` is new in this pull request/);
  assert.equal(forge.latest(head)?.description, '2 to create');
});

test('a pull request whose ref cannot be fetched gets an error status and comment, under the same marker', async () => {
  const { forge, reviewer } = await setup();
  const report = await reviewer.review(event(9, 'f'.repeat(40)));
  assert.equal(report.outcome, 'error');
  assert.equal(forge.latest('f'.repeat(40))?.state, 'error');
  assert.match(forge.latest('f'.repeat(40))?.description ?? '', /^Could not plan: could not fetch refs\/pull\/9\/head/);
  assert.ok([...forge.comments.values()][0]?.body.startsWith('<!-- flotilla-plan:prod -->'));
});

test('the webhook hook-up queues reviews, coalesces pushes per pull request and skips forges without a client', async () => {
  const { repo, forge, reviewer } = await setup();
  const a = await repo.commitOnRef('refs/pull/1/head', clusterFiles({ ...BASE, services: { web: ['example/web:1', 2] } }), 'a');
  assert.equal(reviewer.onPullRequest(event(1, a)), true);
  assert.equal(reviewer.onPullRequest(event(1, a, 'synchronize')), true);
  assert.equal(reviewer.onPullRequest(event(1, a, 'synchronize')), true);
  assert.equal(reviewer.onPullRequest({ ...event(2, a), provider: 'gitlab' }), false);
  await reviewer.idle();
  // The first was already running when the others came; those two folded into one.
  assert.equal(forge.statuses.filter((s) => s.state === 'success').length, 2);
  assert.equal(forge.comments.size, 1);
  await reviewer.stop();
  assert.equal(reviewer.onPullRequest(event(1, a)), false, 'a stopped reviewer takes nothing');
});
