// Whether a commit object is signed by a trusted key: OpenPGP signatures with openpgp.js,
// SSH signatures with `ssh-keygen -Y verify` (namespace "git"), as `git verify-commit` does.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { commitSignature, type CommitSignature } from './commit-signature.js';
import type { TrustedKeys } from './trusted-keys.js';

export type SignatureVerdict = { trusted: true; signer: string } | { trusted: false; reason: string };

const SSH_KEYGEN_TIMEOUT_MS = 10_000;

export async function verifyCommitObject(raw: Uint8Array, keys: TrustedKeys): Promise<SignatureVerdict> {
  const signed = commitSignature(raw);
  if (!signed) return { trusted: false, reason: 'the commit is not signed' };
  return signed.kind === 'openpgp' ? verifyOpenpgp(signed, keys) : verifySsh(signed, keys);
}

async function verifyOpenpgp(signed: CommitSignature, keys: TrustedKeys): Promise<SignatureVerdict> {
  if (keys.openpgp.length === 0) return { trusted: false, reason: 'the commit has an OpenPGP signature and no OpenPGP key is trusted' };
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: signed.signature });
  } catch (err) {
    return { trusted: false, reason: `its OpenPGP signature is malformed: ${(err as Error).message}` };
  }
  const message = await openpgp.createMessage({ binary: new Uint8Array(signed.payload) });
  const result = await openpgp.verify({ message, signature, verificationKeys: keys.openpgp, expectSigned: false });
  const keyIds = result.signatures.map((s) => s.keyID.toHex().toUpperCase());
  for (const s of result.signatures) {
    try {
      await s.verified;
      const key = keys.openpgp.find((k) => k.getKeys(s.keyID).length > 0);
      const user = key?.users[0]?.userID?.userID;
      return { trusted: true, signer: `OpenPGP key ${s.keyID.toHex().toUpperCase()}${user ? ` (${user})` : ''}` };
    } catch {
      // Try the next signature, if there is one; the reason below names the key ids.
    }
  }
  return { trusted: false, reason: `its OpenPGP signature (key ${keyIds.join(', ') || 'unknown'}) is not made by a trusted key, or does not match the commit` };
}

async function verifySsh(signed: CommitSignature, keys: TrustedKeys): Promise<SignatureVerdict> {
  if (keys.sshAllowedSigners.length === 0) return { trusted: false, reason: 'the commit has an SSH signature and no SSH allowed_signers file is trusted' };
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-sig-'));
  try {
    const sigFile = join(dir, 'commit.sig');
    await writeFile(sigFile, signed.signature);
    for (const allowed of keys.sshAllowedSigners) {
      // Git's own sequence: which principals may have made it, then verify as each.
      const found = await sshKeygen(['-Y', 'find-principals', '-f', allowed, '-s', sigFile]);
      if (found.code !== 0) continue;
      for (const principal of found.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
        const verified = await sshKeygen(['-Y', 'verify', '-f', allowed, '-I', principal, '-n', 'git', '-s', sigFile], signed.payload);
        if (verified.code === 0) return { trusted: true, signer: `SSH key of ${principal}` };
      }
    }
    return { trusted: false, reason: 'its SSH signature is not made by a key in the allowed_signers file, or does not match the commit' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function sshKeygen(args: string[], input?: Buffer): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile('ssh-keygen', args, { timeout: SSH_KEYGEN_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as unknown as { code: number }).code) : 255) : 0;
      resolve({ code, stdout });
    });
    child.stdin?.end(input ?? '');
  });
}
