// Reading a plain directory as a revision: a content hash names it, reads are served from
// the snapshot that hash was taken of, and nothing outside the directory can be read.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { directoryReader, repoPath } from '../../../src/manifests/repo-reader.js';

function tempRepo(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'flotilla-dir-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'stacks', 'app'), { recursive: true });
  writeFileSync(join(root, 'stacks', 'app', 'compose.yaml'), 'services: {}\n');
  return root;
}

test('repoPath normalizes repo-relative paths and refuses ones that leave the repository', () => {
  assert.equal(repoPath('./stacks//app/../app/compose.yaml'), 'stacks/app/compose.yaml');
  assert.equal(repoPath('stacks\\app\\compose.yaml'), 'stacks/app/compose.yaml');
  assert.equal(repoPath('../x'), undefined);
  assert.equal(repoPath('stacks/../../x'), undefined);
  assert.equal(repoPath('/etc/passwd'), undefined);
});

test('the revision is a content hash: same bytes same revision, any change a new one, .git ignored', async (t) => {
  const root = tempRepo(t);
  const first = (await directoryReader(root)).revision;
  assert.match(first, /^dir-[0-9a-f]{12}$/);
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  assert.equal((await directoryReader(root)).revision, first);
  writeFileSync(join(root, 'stacks', 'app', 'compose.yaml'), 'services: { x: {} }\n');
  assert.notEqual((await directoryReader(root)).revision, first);
});

test('reads come from the snapshot the revision names, not from later edits', async (t) => {
  const root = tempRepo(t);
  const reader = await directoryReader(root);
  writeFileSync(join(root, 'stacks', 'app', 'compose.yaml'), 'changed: true\n');
  assert.equal((await reader.readFile('stacks/app/compose.yaml'))?.toString(), 'services: {}\n');
  assert.equal(await reader.readFile('stacks/app'), undefined, 'a directory is not a file');
  assert.equal(await reader.readFile('stacks/app/missing.yaml'), undefined);
  assert.deepEqual(await reader.listDir('stacks'), ['app']);
  assert.deepEqual(await reader.listDir('../'), []);
});

test('a symlink inside the repository is followed, one leading outside is refused by name', async (t) => {
  const root = tempRepo(t);
  const outside = mkdtempSync(join(tmpdir(), 'flotilla-outside-'));
  t.after(() => rmSync(outside, { recursive: true, force: true }));
  writeFileSync(join(outside, 'secret.env'), 'TOKEN=leaked\n');
  symlinkSync(join(outside, 'secret.env'), join(root, 'stacks', 'app', '.env'));
  symlinkSync(join(root, 'stacks', 'app', 'compose.yaml'), join(root, 'stacks', 'app', 'alias.yaml'));
  const reader = await directoryReader(root);
  await assert.rejects(reader.readFile('stacks/app/.env'), { code: 'RepoFileRefused', file: 'stacks/app/.env', message: /symbolic link to a file outside the repository/ });
  assert.equal((await reader.readFile('stacks/app/alias.yaml'))?.toString(), 'services: {}\n');
  assert.equal(await reader.readFile('../' + outside.split('/').pop() + '/secret.env'), undefined);
});

test('a path that is not a directory is refused', async () => {
  await assert.rejects(directoryReader(join(tmpdir(), 'flotilla-no-such-dir')), /is not a directory/);
});
