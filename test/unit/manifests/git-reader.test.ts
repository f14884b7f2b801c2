// Loading one commit of a real Git repository straight from its object store, and
// `flotilla validate --ref` on top of it: the working tree never matters.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../../src/cli/main.js';
import type { CommandIO } from '../../../src/cli/io.js';
import { loadDesiredState } from '../../../src/manifests/load.js';
import { gitCommitReader } from '../../../src/manifests/repo-reader.js';
import { repoRoot } from './support.js';

let dir: string;
let good: string;
let bad: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Flotilla Test', '-c', 'user.email=test@flotilla.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-git-'));
  cpSync(join(repoRoot(), 'example-repo'), dir, { recursive: true });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'good');
  good = git('rev-parse', 'HEAD');
  // The second commit breaks the shop stack and adds a typo in the cluster.
  writeFileSync(join(dir, 'stacks', 'shop', 'compose.yaml'), 'services:\n  web:\n    image: ${NOT_SET}\n');
  git('commit', '-q', '-am', 'bad');
  bad = git('rev-parse', 'HEAD');
  git('tag', 'v1', good);
  // An uncommitted edit that would break validation if the working tree were read.
  writeFileSync(join(dir, 'clusters', 'local', 'cluster.yaml'), 'not: [valid\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('gitCommitReader loads a good commit by id, with the commit as the revision', async () => {
  const result = await loadDesiredState(gitCommitReader({ gitdir: join(dir, '.git'), commit: good, cache: {} }));
  assert.deepEqual(result.problems, []);
  assert.equal(result.state?.revision, good);
  assert.equal(result.clusterPath, 'clusters/local');
  assert.equal(result.state?.stacks[0]?.services[0]?.image, 'nginx:1.27-alpine', 'the .env of that commit is used');
});

test('gitCommitReader reports the problems of a bad commit, reading that commit and not the working tree', async () => {
  const result = await loadDesiredState(gitCommitReader({ gitdir: join(dir, '.git'), commit: bad }), 'clusters/local');
  assert.equal(result.state, undefined);
  assert.deepEqual(result.problems.map((p) => [p.file, p.line, p.col]), [['stacks/shop/compose.yaml', 3, 12]]);
  assert.match(result.problems[0]?.message ?? '', /variable NOT_SET is not set/);
});

test('gitCommitReader reads files and directories of the commit, and nothing outside it', async () => {
  const reader = gitCommitReader({ gitdir: join(dir, '.git'), commit: good });
  assert.deepEqual(await reader.listDir('stacks'), ['monitoring', 'shop']);
  assert.deepEqual(await reader.listDir('nope'), []);
  assert.equal(await reader.readFile('stacks/shop/missing.yaml'), undefined);
  assert.equal(await reader.readFile('stacks'), undefined, 'a directory is not a file');
  assert.equal(await reader.readFile('../outside'), undefined);
  assert.match((await reader.readFile('./stacks/shop/.env'))?.toString() ?? '', /WEB_IMAGE=/);
});

function capture(): CommandIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {} };
}

test('flotilla validate --ref <tag|commit> exits 0 for the good commit despite a broken working tree', async () => {
  for (const ref of ['v1', good, good.slice(0, 10)]) {
    const io = capture();
    assert.equal(await main(['validate', '--repo', dir, '--ref', ref], io), 0, io.stderr.join('\n'));
    assert.match(io.stdout.join('\n'), new RegExp(`clusters/local: valid .* at ${good}`));
  }
});

test('flotilla validate --ref main exits 1 and prints file:line:col for the bad commit', async () => {
  const io = capture();
  assert.equal(await main(['validate', '--repo', dir, '--ref', 'main'], io), 1);
  assert.match(io.stderr[0] ?? '', /^stacks\/shop\/compose\.yaml:3:12: variable NOT_SET is not set/);
  assert.match(io.stderr.at(-1) ?? '', new RegExp(`1 error at ${bad}`));
});

test('flotilla validate --ref with an unknown ref exits 1 with a usage message', async () => {
  const io = capture();
  assert.equal(await main(['validate', '--repo', dir, '--ref', 'no-such-branch'], io), 1);
  assert.match(io.stderr.join('\n'), /--ref no-such-branch: no such branch, tag or commit/);
});
