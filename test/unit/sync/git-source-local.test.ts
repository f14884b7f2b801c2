// Local Git repositories and plain directories, built with isomorphic-git itself so the
// unit tests need no git binary and no network.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import { openGitSource, GitRefNotFoundError, GitRepoNotFoundError } from '../../../src/sync/git-source.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-gitsrc-'));
  roots.push(dir);
  return dir;
}

const author = { name: 'Dev', email: 'dev@example.invalid', timestamp: 1_700_000_000, timezoneOffset: 0 };

async function commit(dir: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
    await git.add({ fs, dir, filepath: path });
  }
  return git.commit({ fs, dir, message, author, committer: author });
}

test('a local working copy: fetch resolves the branch, reader reads any commit, fetchRef resolves refs', async () => {
  const dir = tempDir();
  await git.init({ fs, dir, defaultBranch: 'main' });
  const first = await commit(dir, { 'clusters/prod/cluster.yaml': 'v: 1\n' }, 'first\n\nbody');
  const second = await commit(dir, { 'clusters/prod/cluster.yaml': 'v: 2\n', 'stacks/web/compose.yaml': 'services: {}\n' }, 'second');
  await git.writeRef({ fs, dir, ref: 'refs/pull/7/head', value: first });

  const source = openGitSource({ repo: dir, branch: 'main', stateDir: join(dir, '.flotilla') });
  assert.equal(source.kind, 'local-git');
  const head = await source.fetch();
  assert.deepEqual(head, { revision: second, message: 'second', author: 'Dev <dev@example.invalid>', time: 1_700_000_000_000 });

  const old = await source.reader(first);
  assert.equal((await old.readFile('clusters/prod/cluster.yaml'))?.toString(), 'v: 1\n');
  assert.equal(await old.readFile('stacks/web/compose.yaml'), undefined);
  assert.deepEqual(await (await source.reader(second)).listDir('stacks'), ['web']);
  assert.equal(await source.fetchRef('refs/pull/7/head'), first);

  await assert.rejects(source.reader('0'.repeat(40)), GitRefNotFoundError);
  await assert.rejects(source.reader('main'), GitRefNotFoundError);
  await assert.rejects(source.fetchRef('refs/pull/8/head'), GitRefNotFoundError);
  await assert.rejects(source.fetchRef('refs/../../etc'), GitRefNotFoundError);
  const wrongBranch = openGitSource({ repo: dir, branch: 'nope', stateDir: dir });
  await assert.rejects(wrongBranch.fetch(), (err: GitRefNotFoundError) => err.code === 'GIT_REF_NOT_FOUND' && /refs\/heads\/nope/.test(err.message));
  assert.match(source.describe(), /git repository .* \(branch main\)/);
});

test('a bare repository is read in place', async () => {
  const work = tempDir();
  await git.init({ fs, dir: work, defaultBranch: 'main' });
  const oid = await commit(work, { 'a.txt': 'a' }, 'one');
  const bare = join(tempDir(), 'r.git');
  await fs.cp(join(work, '.git'), bare, { recursive: true });
  const source = openGitSource({ repo: bare, branch: 'main', stateDir: tempDir() });
  assert.equal(source.kind, 'local-git');
  assert.equal((await source.fetch()).revision, oid);
});

test('a plain directory: the revision is the content hash; a changed directory has a new revision', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'cluster.yaml'), 'a: 1\n');
  const source = openGitSource({ repo: dir, branch: 'main', stateDir: join(dir, '.flotilla') });
  assert.equal(source.kind, 'directory');
  const { revision } = await source.fetch();
  assert.match(revision, /^dir-[0-9a-f]{12}$/);
  assert.equal((await (await source.reader(revision)).readFile('cluster.yaml'))?.toString(), 'a: 1\n');
  assert.equal((await source.fetch()).revision, revision, 'same content, same revision');
  writeFileSync(join(dir, 'cluster.yaml'), 'a: 2\n');
  // The fetched revision is still served as it was hashed, not half-changed from disk.
  assert.equal((await (await source.reader(revision)).readFile('cluster.yaml'))?.toString(), 'a: 1\n');
  const changed = await source.fetch();
  assert.notEqual(changed.revision, revision);
  // The old content is gone: a reader for it would read the new files under the old name.
  await assert.rejects(source.reader(revision), GitRefNotFoundError);
  await assert.rejects(source.fetchRef('refs/pull/1/head'), GitRefNotFoundError);
});

test('openGitSource refuses what it cannot serve, without echoing credentials', () => {
  assert.throws(() => openGitSource({ repo: '/definitely/not/here', branch: 'main', stateDir: '/tmp' }), GitRepoNotFoundError);
  assert.throws(() => openGitSource({ repo: 'git@github.com:acme/fleet.git', branch: 'main', stateDir: '/tmp' }), /SSH and git:\/\/ URLs are not supported/);
  assert.throws(() => openGitSource({ repo: 'ssh://git@host/acme/fleet.git', branch: 'main', stateDir: '/tmp' }), /not supported/);
});

test('describe() of a remote never contains the token, whether given as option or in the URL', () => {
  const token = 'glpat-VerySecretValue';
  const a = openGitSource({ repo: 'https://gitlab.example/acme/fleet.git', branch: 'main', stateDir: '/tmp/x', token });
  const b = openGitSource({ repo: `https://oauth2:${token}@gitlab.example/acme/fleet.git`, branch: 'main', stateDir: '/tmp/x' });
  for (const source of [a, b]) {
    assert.equal(source.kind, 'remote');
    assert.equal(source.describe(), 'https://gitlab.example/acme/fleet.git (branch main)');
  }
});
