import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { planCommand } from '../../../src/cli/plan.js';
import type { CommandIO } from '../../../src/cli/io.js';
import { cleanup, clusterFiles, LocalRepo, type ClusterDecl } from './support.js';

after(cleanup);

// Addresses of TEST-NET: nothing answers there, so any attempt to reach a node would hang or fail.
const NODES = [{ name: 'node-a', endpoint: 'tcp://192.0.2.10:2375' }, { name: 'node-b', endpoint: 'tcp://192.0.2.11:2375' }];
const BASE: ClusterDecl = { nodes: NODES, services: { web: ['example/web:1', 2], api: ['example/api:1', 1] } };

function capture(): CommandIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {} };
}

async function repoWithBranch() {
  const repo = await LocalRepo.create();
  await repo.commit(clusterFiles(BASE), 'base');
  // The pull request's commit, as CI checks it out: a branch other than main.
  await repo.commitOnRef('refs/heads/feature', clusterFiles({ ...BASE, services: { web: ['example/web:2', 3] } }), 'web v2 x3, api gone');
  return repo;
}

test('plan --ref feature --base main compares two commits without contacting a node', async () => {
  const repo = await repoWithBranch();
  const io = capture();
  const started = performance.now();
  const code = await planCommand(['--repo', repo.dir, '--ref', 'feature', '--base', 'main', '--format', 'json', '--detailed-exitcode'], io);
  assert.ok(performance.now() - started < 5_000, 'no node timeouts were waited for');
  assert.equal(code, 2, io.stderr.join('\n'));
  const plan = JSON.parse(io.stdout.join('\n')) as { summary: { create: number; replace: number; remove: number }; nodes: Array<{ availability: string }> };
  assert.deepEqual({ create: plan.summary.create, replace: plan.summary.replace, remove: plan.summary.remove }, { create: 1, replace: 2, remove: 1 });
  assert.ok(plan.nodes.every((n) => n.availability === 'up'));
});

test('plan --base in Markdown gives the PR-comment view; identical commits exit 0', async () => {
  const repo = await repoWithBranch();
  const io = capture();
  assert.equal(await planCommand(['--repo', repo.dir, '--ref', 'feature', '--base', 'main', '--format', 'markdown'], io), 0);
  const md = io.stdout.join('\n');
  assert.match(md, /\*\*Plan: 1 to create, 2 to replace, 1 to remove\.\*\*/);
  assert.match(md, /#### shop\/api \(no longer declared\)/);
  const same = capture();
  assert.equal(await planCommand(['--repo', repo.dir, '--ref', 'main', '--base', 'main', '--detailed-exitcode'], same), 0);
  assert.match(same.stdout.join('\n'), /No changes/);
});

test('an invalid base is an error that says which side is broken', async () => {
  const repo = await LocalRepo.create();
  await repo.commit(clusterFiles({ ...BASE, composeText: 'services:\n  web:\n    deploy: { replicas: 1 }\n' }), 'broken base');
  await repo.commitOnRef('refs/heads/fix', clusterFiles(BASE), 'fixed');
  const io = capture();
  assert.equal(await planCommand(['--repo', repo.dir, '--ref', 'fix', '--base', 'main'], io), 1);
  assert.match(io.stderr.join('\n'), /--base main: 1 validation error\(s\) at the base/);
});
