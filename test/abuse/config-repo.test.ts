// Hostile config repositories: commits written to escape the repository or to exhaust the
// daemon. Each is a real Git commit made with the git CLI and read the way the daemon reads
// one (straight from the object store); each must end as a clear validation problem (or a
// limit named with its number) within a bounded time and heap, never as a crash, a hang, or
// a file from outside the repository read as a manifest.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadDesiredState, MAX_SERVICES_PER_STACK, type LoadResult } from '../../src/manifests/load.js';
import { directoryReader, gitCommitReader } from '../../src/manifests/repo-reader.js';
import { MAX_MANIFEST_BYTES } from '../../src/manifests/yaml-source.js';

const CLUSTER = `apiVersion: flotilla/v1alpha1
kind: Cluster
metadata: { name: c }
spec:
  nodes:
    - name: node-a
      endpoint: unix:///var/run/docker.sock
  stacks:
    - name: app
      compose: stacks/app/compose.yaml
`;
const COMPOSE = 'services:\n  web:\n    image: nginx:1.27\n';
/** Every case must be answered within this, on a loaded 2-core machine. */
const TIME_LIMIT_MS = 3_000;
/**
 * What a refused commit may leave behind once collected: a few problems, nothing of the file.
 * Measured after a forced collection, because heapUsed without one counts whatever garbage
 * the collector has not reached yet and moves with the machine (CI saw 131 MiB of it).
 */
const RETAINED_LIMIT_BYTES = 16 * 1024 * 1024;
/** How far one load may raise the process's peak resident memory (the yaml document model of a 1 MiB file). */
const PEAK_RSS_LIMIT_BYTES = 256 * 1024 * 1024;
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

let dir: string;
let outside: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Abuse', '-c', 'user.email=abuse@flotilla.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

function write(path: string, content: string | Buffer): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

/** Resets the work tree to a valid repo, applies `change`, commits, and returns the commit. */
function commit(name: string, change: () => void): string {
  git('rm', '-rq', '--ignore-unmatch', '.');
  rmSync(join(dir, 'clusters'), { recursive: true, force: true });
  rmSync(join(dir, 'stacks'), { recursive: true, force: true });
  write('clusters/c/cluster.yaml', CLUSTER);
  write('stacks/app/compose.yaml', COMPOSE);
  change();
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', name);
  return git('rev-parse', 'HEAD');
}

/** Loads a commit with its time and heap growth measured. */
async function loadCommit(id: string): Promise<LoadMeasure> {
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const started = performance.now();
  const result = await loadDesiredState(gitCommitReader({ gitdir: join(dir, '.git'), commit: id, cache: {} }), 'clusters/c');
  const ms = performance.now() - started;
  const peakRss = process.resourceUsage().maxRSS * 1024 - peakBefore;
  collectGarbage();
  return { result, ms, retained: process.memoryUsage().heapUsed - heapBefore, peakRss };
}

interface LoadMeasure {
  result: LoadResult;
  ms: number;
  /** Heap still in use after a collection, against the same before the load. */
  retained: number;
  /** Growth of the process's resident high-water mark during the load (0 if below an earlier peak). */
  peakRss: number;
}

function assertRefused(load: LoadMeasure, message: RegExp, file?: string): void {
  assert.equal(load.result.state, undefined, 'a hostile commit must not produce a desired state');
  const texts = load.result.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`);
  assert.ok(load.result.problems.some((p) => message.test(p.message) && (file === undefined || p.file === file)), `expected a problem matching ${message}${file ? ` in ${file}` : ''}, got:\n${texts.join('\n')}`);
  assert.ok(load.ms < TIME_LIMIT_MS, `took ${load.ms.toFixed(0)} ms (limit ${TIME_LIMIT_MS})`);
  assert.ok(load.retained < RETAINED_LIMIT_BYTES, `a refused commit kept ${(load.retained / 1048576).toFixed(0)} MiB of heap`);
  assert.ok(load.peakRss < PEAK_RSS_LIMIT_BYTES, `peak memory rose by ${(load.peakRss / 1048576).toFixed(0)} MiB`);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-abuse-'));
  outside = mkdtempSync(join(tmpdir(), 'flotilla-outside-'));
  // What an attacker would like the daemon to read: valid YAML with a credential in it.
  writeFileSync(join(outside, 'secret.yaml'), COMPOSE + '    environment:\n      STOLEN: outside-the-repo\n');
  writeFileSync(join(outside, 'secret.env'), 'STOLEN=outside-the-repo\n');
  git('init', '-q', '-b', 'main');
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

test('the valid baseline commit loads (so every refusal below is the hostile change alone)', async () => {
  const load = await loadCommit(commit('baseline', () => {}));
  assert.deepEqual(load.result.problems, []);
  assert.ok(load.result.state);
});

test('a compose path that is a symlink to a file outside the repo is refused as a symlink, and nothing outside is read', async () => {
  const id = commit('compose symlink', () => {
    unlinkSync(join(dir, 'stacks/app/compose.yaml'));
    symlinkSync(join(outside, 'secret.yaml'), join(dir, 'stacks/app/compose.yaml'));
  });
  const load = await loadCommit(id);
  assertRefused(load, /symbolic link/, 'stacks/app/compose.yaml');
  assert.doesNotMatch(JSON.stringify(load.result), /outside-the-repo/);
});

test('an env_file that is a symlink out of the repo is refused as a symlink', async () => {
  const id = commit('env_file symlink', () => {
    write('stacks/app/compose.yaml', COMPOSE + '    env_file: app.env\n');
    symlinkSync(join(outside, 'secret.env'), join(dir, 'stacks/app/app.env'));
  });
  const load = await loadCommit(id);
  assertRefused(load, /symbolic link/);
  assert.doesNotMatch(JSON.stringify(load.result), /outside-the-repo/);
});

test('a .env that is a symlink out of the repo is refused as a symlink', async () => {
  const id = commit('.env symlink', () => {
    symlinkSync(join(outside, 'secret.env'), join(dir, 'stacks/app/.env'));
  });
  const load = await loadCommit(id);
  assertRefused(load, /symbolic link/, 'stacks/app/.env');
});

test('a stack path and an env_file that use ../ to leave the repo are refused', async () => {
  const stack = await loadCommit(commit('compose ../', () => {
    write('clusters/c/cluster.yaml', CLUSTER.replace('stacks/app/compose.yaml', '../../../../etc/passwd'));
  }));
  assertRefused(stack, /outside the repository|leaves the repository|inside the repository/);
  const envFile = await loadCommit(commit('env_file ../', () => {
    write('stacks/app/compose.yaml', COMPOSE + '    env_file: ../../../../../etc/passwd\n');
  }));
  assertRefused(envFile, /outside the repository|leaves the repository|inside the repository/);
});

test('a YAML alias bomb is refused at the alias that tips it', async () => {
  const levels = Array.from({ length: 10 }, (_, i) => `  l${i}: &l${i} [${Array(10).fill(i === 0 ? '"lol"' : `*l${i - 1}`).join(', ')}]`);
  const load = await loadCommit(commit('alias bomb', () => {
    write('stacks/app/compose.yaml', `x-bomb:\n${levels.join('\n')}\n${COMPOSE}    command: *l9\n`);
  }));
  assertRefused(load, /alias bomb/, 'stacks/app/compose.yaml');
});

test('a 10 MB manifest is refused before it is parsed, naming the limit', async () => {
  const load = await loadCommit(commit('10 MB', () => {
    write('stacks/app/compose.yaml', COMPOSE + `    x-pad: "${'a'.repeat(10 * 1024 * 1024)}"\n`);
  }));
  assertRefused(load, new RegExp(`over the ${MAX_MANIFEST_BYTES}-byte limit`), 'stacks/app/compose.yaml');
});

test('100,000 services in one file are refused by the size limit, not planned', async () => {
  const services = Array.from({ length: 100_000 }, (_, i) => `  s${i}: { image: a }`).join('\n');
  const load = await loadCommit(commit('100k services', () => {
    write('stacks/app/compose.yaml', `services:\n${services}\n`);
  }));
  assertRefused(load, /-byte limit/, 'stacks/app/compose.yaml');
});

test('tens of thousands of services that fit under the size limit are refused by the per-stack limit', async () => {
  // The densest valid service is ~20 bytes, so about 50,000 fit under the size cap.
  const perService = '  sNNNNN: {image: a}\n'.length;
  const count = Math.floor((MAX_MANIFEST_BYTES - 20) / perService);
  const services = Array.from({ length: count }, (_, i) => `  s${String(i).padStart(5, '0')}: {image: a}`).join('\n');
  const load = await loadCommit(commit('many services', () => {
    write('stacks/app/compose.yaml', `services:\n${services}\n`);
  }));
  assertRefused(load, new RegExp(`${count} services in one stack, over the limit of ${MAX_SERVICES_PER_STACK}`), 'stacks/app/compose.yaml');
});

test('a deeply nested document is refused with a limit, not a stack overflow', async () => {
  const depth = 20_000;
  const load = await loadCommit(commit('deep nesting', () => {
    write('stacks/app/compose.yaml', `${COMPOSE}    x-deep: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
  }));
  assertRefused(load, /nest/, 'stacks/app/compose.yaml');
});

test('a commit that turns the compose file into a directory says the stack file is missing', async () => {
  const load = await loadCommit(commit('file to dir', () => {
    unlinkSync(join(dir, 'stacks/app/compose.yaml'));
    write('stacks/app/compose.yaml/inner.yaml', COMPOSE);
  }));
  assertRefused(load, /directory|not found|does not exist|no such file|missing/i);
});

test('non-UTF-8 bytes in a manifest are refused at their line, not silently replaced', async () => {
  const load = await loadCommit(commit('latin-1', () => {
    write('stacks/app/compose.yaml', Buffer.concat([Buffer.from(COMPOSE + '    environment:\n      NAME: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  }));
  assertRefused(load, /UTF-8/, 'stacks/app/compose.yaml');
  const problem = load.result.problems.find((p) => /UTF-8/.test(p.message));
  assert.equal(problem?.line, 5);
});

test('a plain-directory repo with a symlinked compose file out of the repo is refused too', async () => {
  const root = mkdtempSync(join(tmpdir(), 'flotilla-abuse-dir-'));
  try {
    mkdirSync(join(root, 'clusters', 'c'), { recursive: true });
    mkdirSync(join(root, 'stacks', 'app'), { recursive: true });
    writeFileSync(join(root, 'clusters', 'c', 'cluster.yaml'), CLUSTER);
    symlinkSync(join(outside, 'secret.yaml'), join(root, 'stacks', 'app', 'compose.yaml'));
    const result = await loadDesiredState(await directoryReader(root), 'clusters/c');
    assert.equal(result.state, undefined);
    assert.match(result.problems[0]?.message ?? '', /symbolic link to a file outside the repository/);
    assert.doesNotMatch(JSON.stringify(result), /outside-the-repo/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
