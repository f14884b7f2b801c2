// Commit signature checks on commits signed by the real git, with keys made by the real
// gpg and ssh-keygen: trusted, unsigned, signed by someone else, and altered after signing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readTrustedKeys } from '../../../src/sync/signatures/trusted-keys.js';
import { verifyCommitObject } from '../../../src/sync/signatures/verify-commit.js';
import { commitSignature } from '../../../src/sync/signatures/commit-signature.js';
import { run } from '../../support/exec.js';
import { gitEnv } from '../../support/git-workcopy.js';
import { makeGpgKey, makeSshKey, type SigningKey } from '../../support/signing.js';

const dir = mkdtempSync('/tmp/flotilla-sign-');
const repo = join(dir, 'repo');
let alice: SigningKey, mallory: SigningKey, bob: SigningKey, eve: SigningKey;

async function commit(key: SigningKey | undefined, message: string): Promise<Buffer> {
  const env = gitEnv(join(dir, 'home'));
  const config = Object.entries(key?.gitConfig ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  await run('git', ['-C', repo, ...config, 'commit', '-q', '--allow-empty', '-m', message], { env });
  return Buffer.from((await run('git', ['-C', repo, 'cat-file', 'commit', 'HEAD'], { env })).stdout);
}

before(async () => {
  await run('git', ['init', '-q', '-b', 'main', repo], { env: gitEnv(join(dir, 'home')) });
  [alice, mallory, bob, eve] = await Promise.all([makeGpgKey(dir, 'alice@example.com'), makeGpgKey(dir, 'mallory@example.com'), makeSshKey(dir, 'bob@example.com'), makeSshKey(dir, 'eve@example.com')]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('an OpenPGP-signed commit is trusted with the signer\'s public key, and only with it', async () => {
  const raw = await commit(alice, 'signed by alice');
  assert.equal(commitSignature(raw)?.kind, 'openpgp');
  const verdict = await verifyCommitObject(raw, await readTrustedKeys([alice.trustFile, bob.trustFile]));
  assert.ok(verdict.trusted);
  assert.match(verdict.signer, /^OpenPGP key [0-9A-F]{16} \(Test <alice@example.com>\)$/);
  const other = await verifyCommitObject(raw, await readTrustedKeys([mallory.trustFile]));
  assert.deepEqual(other.trusted, false);
});

test('an SSH-signed commit is trusted through allowed_signers (namespace git), and only with its key', async () => {
  const raw = await commit(bob, 'signed by bob');
  assert.equal(commitSignature(raw)?.kind, 'ssh');
  assert.deepEqual(await verifyCommitObject(raw, await readTrustedKeys([bob.trustFile])), { trusted: true, signer: 'SSH key of bob@example.com' });
  const eveRaw = await commit(eve, 'signed by eve');
  const verdict = await verifyCommitObject(eveRaw, await readTrustedKeys([alice.trustFile, bob.trustFile]));
  assert.equal(verdict.trusted, false);
  assert.match((verdict as { reason: string }).reason, /not made by a key in the allowed_signers file/);
});

test('an unsigned commit and a signed commit altered afterwards are not trusted', async () => {
  const keys = await readTrustedKeys([alice.trustFile, bob.trustFile]);
  assert.deepEqual(await verifyCommitObject(await commit(undefined, 'unsigned'), keys), { trusted: false, reason: 'the commit is not signed' });
  for (const key of [alice, bob]) {
    const raw = (await commit(key, 'deploy v1')).toString().replace('deploy v1', 'deploy v2');
    const verdict = await verifyCommitObject(Buffer.from(raw), keys);
    assert.equal(verdict.trusted, false, `altered commit signed with ${key.gitConfig['gpg.format']}`);
  }
});

test('key files that are neither an OpenPGP public key nor allowed_signers are refused', async () => {
  await assert.rejects(readTrustedKeys([join(dir, 'missing.asc')]), /cannot read the trusted key file .*missing\.asc: ENOENT/);
  await assert.rejects(readTrustedKeys([join(dir, 'repo', '.git', 'HEAD')]), /neither an armored OpenPGP public key nor an SSH allowed_signers file/);
});
