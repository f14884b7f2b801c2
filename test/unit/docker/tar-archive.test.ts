// The ustar writer, checked with the real tar CLI: what `tar -t` lists and `tar -x` extracts
// is what the entries say (names, long paths, modes, owners, bytes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TarPathError, writeTar } from '../../../src/docker/tar-archive.js';

function withArchive(tar: Buffer, check: (file: string, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-tar-'));
  try {
    const file = join(dir, 'a.tar');
    writeFileSync(file, tar);
    check(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('tar -t lists every entry with its mode and numeric owner, and tar -x gives back the bytes', () => {
  const binary = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
  const exactBlock = Buffer.alloc(512, 'x');
  const tar = writeTar([
    { path: 'etc/app', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
    { path: 'etc/app/app.conf', type: 'file', mode: 0o644, uid: 0, gid: 0, content: Buffer.from('listen 80;\n') },
    { path: 'run/secrets/db_password', type: 'file', mode: 0o440, uid: 1000, gid: 2000, content: Buffer.from('s3cret') },
    { path: 'bin.dat', type: 'file', mode: 0o600, uid: 0, gid: 0, content: binary },
    { path: 'block', type: 'file', mode: 0o444, uid: 0, gid: 0, content: exactBlock },
    { path: 'empty', type: 'file', mode: 0o444, uid: 0, gid: 0, content: Buffer.alloc(0) },
  ]);
  assert.equal(tar.byteLength % 512, 0);
  withArchive(tar, (file, dir) => {
    const listing = execFileSync('tar', ['-tvf', file, '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n');
    assert.equal(listing.length, 6);
    assert.match(listing[0] as string, /^drwxr-xr-x 0\/0 .* etc\/app\/$/);
    assert.match(listing[1] as string, /^-rw-r--r-- 0\/0 +11 .* etc\/app\/app\.conf$/);
    assert.match(listing[2] as string, /^-r--r----- 1000\/2000 +6 .* run\/secrets\/db_password$/);
    const out = join(dir, 'out');
    execFileSync('mkdir', [out]);
    execFileSync('tar', ['-xf', file, '-C', out, '--same-owner', '-p']);
    assert.equal(readFileSync(join(out, 'etc/app/app.conf'), 'utf8'), 'listen 80;\n');
    assert.equal(readFileSync(join(out, 'run/secrets/db_password'), 'utf8'), 's3cret');
    assert.deepEqual(readFileSync(join(out, 'bin.dat')), binary);
    assert.deepEqual(readFileSync(join(out, 'block')), exactBlock);
    assert.equal(readFileSync(join(out, 'empty')).byteLength, 0);
    const secret = statSync(join(out, 'run/secrets/db_password'));
    assert.equal(secret.mode & 0o777, 0o440);
    assert.equal(secret.uid, 1000);
    assert.equal(secret.gid, 2000);
  });
});

test('paths over 100 bytes go into the ustar prefix, and one that cannot be split is refused', () => {
  const long = `${'d'.repeat(120)}/${'f'.repeat(90)}`;
  withArchive(writeTar([{ path: long, type: 'file', mode: 0o444, uid: 0, gid: 0, content: Buffer.from('ok') }]), (file) => {
    assert.equal(execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim(), long);
    assert.equal(execFileSync('tar', ['-xOf', file, long], { encoding: 'utf8' }), 'ok');
  });
  assert.throws(() => writeTar([{ path: 'x'.repeat(150), type: 'file', mode: 0o444, uid: 0, gid: 0 }]), TarPathError);
});

test('an owner id too large for octal is written in base-256, which tar reads back', () => {
  withArchive(writeTar([{ path: 'big', type: 'file', mode: 0o400, uid: 3_000_000, gid: 4_000_000_000, content: Buffer.from('1') }]), (file) => {
    assert.match(execFileSync('tar', ['-tvf', file, '--numeric-owner'], { encoding: 'utf8' }), /3000000\/4000000000/);
  });
});

test('equal entries give byte-identical archives', () => {
  const entries = [{ path: 'a', type: 'file' as const, mode: 0o444, uid: 0, gid: 0, content: Buffer.from('same') }];
  assert.deepEqual(writeTar(entries), writeTar(entries));
});
