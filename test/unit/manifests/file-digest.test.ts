// The per-cluster key for secret digests: made once in the state dir (0600), read back the
// same, never made by a reader; a corrupt key file is an error that says what to do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIGEST_KEY_FILE, fileDigest, loadOrCreateDigestKey, readDigestKey } from '../../../src/manifests/file-digest.js';

test('the key is made once with mode 0600 and read back the same', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-key-'));
  try {
    assert.equal(await readDigestKey(dir), undefined, 'a reader never makes one');
    const key = await loadOrCreateDigestKey(dir);
    assert.equal(key.byteLength, 32);
    assert.equal(statSync(join(dir, DIGEST_KEY_FILE)).mode & 0o777, 0o600);
    assert.deepEqual(await loadOrCreateDigestKey(dir), key);
    assert.deepEqual(await readDigestKey(dir), key);
    writeFileSync(join(dir, DIGEST_KEY_FILE), 'garbage');
    await assert.rejects(readDigestKey(dir), /not 64 hex digits; delete it/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a secret digest depends on the key, a config digest does not, and neither is the plain sha256', () => {
  const input = (kind: 'config' | 'secret') => ({ kind, target: '/run/secrets/pw', uid: 0, gid: 0, mode: 0o444, entries: [{ path: '', mode: 0o444, bytes: Buffer.from('pw') }] });
  assert.notEqual(fileDigest(input('secret'), Buffer.alloc(32, 1)), fileDigest(input('secret'), Buffer.alloc(32, 2)));
  assert.equal(fileDigest(input('config'), Buffer.alloc(32, 1)), fileDigest(input('config'), Buffer.alloc(32, 2)));
  assert.notEqual(fileDigest(input('secret'), Buffer.alloc(32, 1)), fileDigest(input('config'), Buffer.alloc(32, 1)));
});
