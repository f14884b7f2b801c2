// The remote Git source against the real smart-HTTP server of git (`git http-backend`):
// clone, incremental fetch, token auth, an unreachable or silent server, a corrupt cache,
// periodic re-clones, and PR refs. No Docker needed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openGitSource, type GitSourceEvent, type GitSourceOptions, GitAuthError, GitRefNotFoundError, GitRepoNotFoundError, GitUnreachableError } from '../../src/sync/git-source.js';
import { cacheDirFor } from '../../src/sync/git-mirror.js';
import { loadDesiredState } from '../../src/manifests/load.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { requireGit } from '../support/requirements.js';
import { run } from '../support/exec.js';
import { gitEnv } from '../support/git-workcopy.js';
import { main } from '../../src/cli/main.js';
import type { CommandIO } from '../../src/cli/io.js';

const TOKEN = 'flotilla-it-token-0b5f2c';
const roots: string[] = [];
const servers: GitServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-state-'));
  roots.push(dir);
  return dir;
}

async function server(token?: string): Promise<GitServer> {
  const s = await startGitServer(token !== undefined ? { token } : {});
  servers.push(s);
  return s;
}

const cluster = (replicas: number): Record<string, string> => ({
  'clusters/prod/cluster.yaml': [
    'apiVersion: flotilla/v1alpha1',
    'kind: Cluster',
    'metadata: { name: prod }',
    'spec:',
    '  nodes:',
    '    - { name: node-a, endpoint: "unix:///var/run/docker.sock" }',
    '  stacks:',
    '    - { name: web, compose: stacks/web/compose.yaml }',
    '',
  ].join('\n'),
  'stacks/web/compose.yaml': `services:\n  web:\n    image: web:1\n    deploy: { replicas: ${replicas} }\n`,
});

const ms = (since: number): number => Math.round(performance.now() - since);

function options(url: string, dir: string, extra: Partial<GitSourceOptions> = {}): GitSourceOptions {
  return { repo: url, branch: 'main', stateDir: dir, timeoutMs: 1500, ...extra };
}

async function replicasAt(source: ReturnType<typeof openGitSource>, revision: string): Promise<number | undefined> {
  const loaded = await loadDesiredState(await source.reader(revision), 'clusters/prod');
  assert.deepEqual(loaded.problems, []);
  return loaded.state?.stacks[0]?.services[0]?.deploy.replicas;
}

function packCount(dir: string): number {
  return readdirSync(join(dir, 'objects', 'pack')).filter((f) => f.endsWith('.pack')).length;
}

test('clone, read manifests at a commit, see new commits, coalesce concurrent fetches', async (t) => {
  if (!requireGit(t)) return;
  const git = await server();
  await git.createRepo('fleet');
  const first = await git.commitFiles('fleet', cluster(1), 'one replica');
  const dir = stateDir();
  const source = openGitSource(options(git.url('fleet'), dir));

  const heapBefore = process.memoryUsage().heapUsed;
  let start = performance.now();
  const head = await source.fetch();
  t.diagnostic(`cold clone: ${ms(start)} ms`);
  assert.equal(head.revision, first);
  assert.equal(head.message, 'one replica');
  assert.equal(head.author, 'Flotilla Test <test@flotilla.invalid>');
  assert.ok(head.time && Math.abs(head.time - Date.now()) < 600_000);
  assert.equal(await replicasAt(source, first), 1);
  t.diagnostic(`heap after clone + load: +${((process.memoryUsage().heapUsed - heapBefore) / 1024).toFixed(0)} KiB`);

  start = performance.now();
  assert.equal((await source.fetch()).revision, first);
  t.diagnostic(`warm fetch, nothing new: ${ms(start)} ms`);

  const second = await git.commitFiles('fleet', cluster(3), 'three replicas');
  start = performance.now();
  assert.equal((await source.fetch()).revision, second);
  t.diagnostic(`warm fetch, one new commit: ${ms(start)} ms`);
  assert.equal(await replicasAt(source, second), 3);
  assert.equal(await replicasAt(source, first), 1, 'the older commit stays readable');

  // Three callers at once share one fetch: one ref advertisement on the server.
  const before = git.requests.filter((r) => r.path.includes('/info/refs')).length;
  const results = await Promise.all([source.fetch(), source.fetch(), source.fetch()]);
  assert.deepEqual(results.map((r) => r.revision), [second, second, second]);
  assert.equal(git.requests.filter((r) => r.path.includes('/info/refs')).length - before, 1);

  await assert.rejects(openGitSource(options(git.url('fleet'), dir, { branch: 'nope' })).fetch(), GitRefNotFoundError);
  await assert.rejects(openGitSource(options(git.url('missing'), stateDir())).fetch(), GitRepoNotFoundError);
});

test('token auth: missing or wrong token is GitAuthError without the token; the right one works', async (t) => {
  if (!requireGit(t)) return;
  const git = await server(TOKEN);
  await git.createRepo('private');
  const commit = await git.commitFiles('private', cluster(2), 'private');
  const url = git.url('private');

  const missing = openGitSource(options(url, stateDir()));
  await assert.rejects(missing.fetch(), (err: GitAuthError) => {
    assert.ok(err instanceof GitAuthError);
    assert.equal(err.code, 'GIT_AUTH');
    assert.match(err.message, /requires authentication/);
    return true;
  });
  const wrongToken = 'wrong-token-value-123';
  const wrong = openGitSource(options(url, stateDir(), { token: wrongToken }));
  await assert.rejects(wrong.fetch(), (err: Error) => {
    assert.ok(err instanceof GitAuthError);
    assert.match(err.message, /Check the token file/);
    assert.ok(!err.message.includes(wrongToken) && !JSON.stringify(err).includes(wrongToken));
    return true;
  });

  const events: GitSourceEvent[] = [];
  // A token file usually ends with a newline.
  const right = openGitSource(options(url, stateDir(), { token: `${TOKEN}\n`, log: (e) => events.push(e) }));
  assert.equal((await right.fetch()).revision, commit);
  assert.equal(await replicasAt(right, commit), 2);
  assert.ok(!right.describe().includes(TOKEN));
  assert.ok(!JSON.stringify(events).includes(TOKEN));
  assert.equal(git.requests.at(-1)?.user, 'x-access-token');

  const gitlabStyle = openGitSource(options(url, stateDir(), { token: TOKEN, tokenUsername: 'oauth2' }));
  assert.equal((await gitlabStyle.fetch()).revision, commit);
  assert.equal(git.requests.at(-1)?.user, 'oauth2');
});

test('server down: GitUnreachableError within the timeout, old commit still readable, then recovery', async (t) => {
  if (!requireGit(t)) return;
  const git = await server(TOKEN);
  await git.createRepo('fleet');
  const first = await git.commitFiles('fleet', cluster(1), 'one');
  const source = openGitSource(options(git.url('fleet'), stateDir(), { token: TOKEN, timeoutMs: 1000 }));
  assert.equal((await source.fetch()).revision, first);

  await git.stop();
  const start = performance.now();
  await assert.rejects(source.fetch(), (err: GitUnreachableError) => {
    assert.ok(err instanceof GitUnreachableError, String(err));
    assert.equal(err.code, 'GIT_UNREACHABLE');
    assert.ok(err.message.includes(git.url('fleet')));
    assert.ok(!err.message.includes(TOKEN));
    return true;
  });
  assert.ok(ms(start) < 5000, `took ${ms(start)} ms`);
  t.diagnostic(`fetch from a stopped server failed after ${ms(start)} ms`);
  assert.equal(await replicasAt(source, first), 1, 'the cache still serves the last fetched commit');

  const second = await git.commitFiles('fleet', cluster(4), 'pushed while the server was down');
  await git.start();
  assert.equal((await source.fetch()).revision, second);
  assert.equal(await replicasAt(source, second), 4);
});

test('a server that accepts connections and never answers is cut off by the timeout', async (t) => {
  const sockets = new Set<Socket>();
  const silent: Server = createServer((s) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    sockets.forEach((s) => s.destroy());
    silent.close();
  });
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/fleet.git`;
  const source = openGitSource(options(url, stateDir(), { timeoutMs: 500 }));
  const start = performance.now();
  await assert.rejects(source.fetch(), GitUnreachableError);
  assert.ok(ms(start) < 4000, `took ${ms(start)} ms`);
});

test('a fetch cut off mid-pack is unreachable, leaves the cache usable, and later fetches only new objects', async (t) => {
  if (!requireGit(t)) return;
  const git = await server();
  await git.createRepo('fleet');
  // 200 KB that does not compress, so a full re-download would show in the pack sizes.
  const first = await git.commitFiles('fleet', { ...cluster(1), 'docs/blob.txt': randomBytes(100_000).toString('hex') }, 'big');
  let cutAfter: number | undefined;
  const proxy = createHttpServer((req, res) => {
    const upstream = httpRequest({ host: '127.0.0.1', port: git.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (cutAfter === undefined || req.method !== 'POST') return void up.pipe(res);
      let sent = 0;
      up.on('data', (chunk: Buffer) => {
        sent += chunk.length;
        if (sent > cutAfter!) {
          up.destroy();
          res.destroy();
        } else res.write(chunk);
      });
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  t.after(() => proxy.close());
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/fleet.git`;
  const dir = stateDir();
  const cacheDir = cacheDirFor(dir, url);
  const source = openGitSource(options(url, dir));
  assert.equal((await source.fetch()).revision, first);
  const shallowBefore = readFileSync(join(cacheDir, 'shallow'), 'utf8');

  cutAfter = 2_000;
  const second = await git.commitFiles('fleet', { 'docs/blob.txt': randomBytes(100_000).toString('hex') }, 'another big one');
  await assert.rejects(source.fetch(), GitUnreachableError);
  assert.equal(readFileSync(join(cacheDir, 'shallow'), 'utf8'), shallowBefore, 'the shallow file is put back');
  assert.equal(await replicasAt(source, first), 1);

  cutAfter = undefined;
  assert.equal((await source.fetch()).revision, second);
  const third = await git.commitFiles('fleet', cluster(2), 'small change');
  assert.equal((await source.fetch()).revision, third);
  const sizes = readdirSync(join(cacheDir, 'objects', 'pack')).filter((f) => f.endsWith('.pack')).map((f) => statSync(join(cacheDir, 'objects', 'pack', f)).size);
  t.diagnostic(`pack sizes: ${sizes.sort((a, b) => b - a).join(', ')} bytes`);
  assert.ok(Math.min(...sizes) < 5_000, 'a small change is a small pack, not the whole tree again');
  assert.equal(await replicasAt(source, third), 2);
});

test('a corrupt cache is deleted and cloned again transparently', async (t) => {
  if (!requireGit(t)) return;
  const git = await server();
  await git.createRepo('fleet');
  const first = await git.commitFiles('fleet', cluster(1), 'one');
  const dir = stateDir();
  const cacheDir = cacheDirFor(dir, git.url('fleet'));
  assert.equal((await openGitSource(options(git.url('fleet'), dir)).fetch()).revision, first);

  // Truncated pack files, as after a crash or a full disk; a fresh source is a restarted daemon.
  for (const f of readdirSync(join(cacheDir, 'objects', 'pack'))) {
    if (f.endsWith('.pack')) truncateSync(join(cacheDir, 'objects', 'pack', f), Math.floor(statSync(join(cacheDir, 'objects', 'pack', f)).size / 2));
  }
  const events: GitSourceEvent[] = [];
  const restarted = openGitSource(options(git.url('fleet'), dir, { log: (e) => events.push(e) }));
  assert.equal((await restarted.fetch()).revision, first);
  assert.equal(await replicasAt(restarted, first), 1);
  assert.ok(events.some((e) => e.event === 'git.cache.reclone'), JSON.stringify(events));

  // Objects deleted outright, then a new commit to fetch.
  rmSync(join(cacheDir, 'objects'), { recursive: true, force: true });
  const second = await git.commitFiles('fleet', cluster(2), 'two');
  const again = openGitSource(options(git.url('fleet'), dir));
  assert.equal((await again.fetch()).revision, second);
  assert.equal(await replicasAt(again, second), 2);
  // The shallow re-clone no longer holds the first commit; reading it fetches the history.
  assert.equal(await replicasAt(again, first), 1);
  assert.deepEqual(readdirSync(join(dir, 'git')), [cacheDir.split('/').at(-1)], 'no leftovers beside the cache');
});

test('the cache is cloned afresh once it holds recloneAfterPacks packs', async (t) => {
  if (!requireGit(t)) return;
  const git = await server();
  await git.createRepo('fleet');
  const first = await git.commitFiles('fleet', cluster(1), 'c1');
  const dir = stateDir();
  const cacheDir = cacheDirFor(dir, git.url('fleet'));
  const events: GitSourceEvent[] = [];
  const source = openGitSource(options(git.url('fleet'), dir, { recloneAfterPacks: 3, log: (e) => events.push(e) }));
  await source.fetch();
  const counts: number[] = [packCount(cacheDir)];
  for (let i = 2; i <= 6; i++) {
    const oid = await git.commitFiles('fleet', cluster(i), `c${i}`);
    assert.equal((await source.fetch()).revision, oid);
    counts.push(packCount(cacheDir));
  }
  t.diagnostic(`pack files after each fetch: ${counts.join(' ')}`);
  assert.ok(Math.max(...counts) <= 3, counts.join(' '));
  assert.ok(events.filter((e) => e.event === 'git.cache.reclone').length >= 1);
  assert.equal(await replicasAt(source, first), 1, 'old commits come back on demand after a re-clone');
});

test('fetchRef brings in a pull-request ref', async (t) => {
  if (!requireGit(t)) return;
  const git = await server(TOKEN);
  await git.createRepo('fleet');
  await git.commitFiles('fleet', cluster(1), 'main');
  const pr = await git.commitFiles('fleet', cluster(5), 'scale up', { branch: 'feature' });
  await run('git', ['-C', git.repoPath('fleet'), 'update-ref', 'refs/pull/12/head', pr], { env: gitEnv(join(git.root, 'home')) });

  const source = openGitSource(options(git.url('fleet'), stateDir(), { token: TOKEN }));
  await source.fetch();
  assert.equal(await source.fetchRef('refs/pull/12/head'), pr);
  assert.equal(await replicasAt(source, pr), 5);
  await assert.rejects(source.fetchRef('refs/pull/13/head'), GitRefNotFoundError);
  // The tracked branch is unaffected by PR fetches.
  assert.equal((await source.fetch()).revision, await git.head('fleet'));

  // A PR plan may come before the first fetch of the branch (empty cache).
  const fresh = openGitSource(options(git.url('fleet'), stateDir(), { token: TOKEN }));
  assert.equal(await fresh.fetchRef('refs/pull/12/head'), pr);
  assert.equal(await replicasAt(fresh, pr), 5);
  assert.equal((await fresh.fetch()).revision, await git.head('fleet'));
});

test('flotilla validate and plan --base read a private https repository with the token from the environment', async (t) => {
  if (!requireGit(t)) return;
  const git = await server(TOKEN);
  await git.createRepo('fleet');
  const first = await git.commitFiles('fleet', cluster(1), 'main');
  const second = await git.commitFiles('fleet', cluster(2), 'scale');
  const lines: string[] = [];
  const io = (env: NodeJS.ProcessEnv): CommandIO => ({ out: (l) => lines.push(l), err: (l) => lines.push(l), env });
  const args = ['--repo', git.url('fleet'), '--state-dir', stateDir()];

  // No token: the command fails (bin/flotilla.js prints the message and exits 1).
  await assert.rejects(main(['validate', ...args], io({})), (err: unknown) => err instanceof GitAuthError);

  assert.equal(await main(['validate', ...args], io({ FLOTILLA_GIT_TOKEN: TOKEN })), 0, lines.join('\n'));
  assert.match(lines.join('\n'), new RegExp(`clusters/prod: valid .* at ${second}`));

  lines.length = 0;
  assert.equal(await main(['plan', ...args, '--ref', second, '--base', first, '--detailed-exitcode'], io({ FLOTILLA_GIT_TOKEN: TOKEN })), 2, lines.join('\n'));
  assert.match(lines.join('\n'), /create/i);
});
