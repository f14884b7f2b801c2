// Signing keys for tests, made with the real tools: an OpenPGP key by gpg (in its own
// GNUPGHOME, no passphrase) and an SSH key by ssh-keygen, each with the `git -c` settings
// that make the real git sign a commit with it, and the file a controller would trust.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';

export interface SigningKey {
  /** `git -c` settings for commitFiles({ gitConfig }). */
  gitConfig: Record<string, string>;
  /** What the controller trusts: an armored public key, or an allowed_signers file. */
  trustFile: string;
}

export async function makeGpgKey(dir: string, email: string): Promise<SigningKey> {
  const home = join(dir, `gnupg-${email}`);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: home };
  await run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', `Test <${email}>`, 'ed25519', 'sign', 'never'], { env });
  const { stdout } = await run('gpg', ['--batch', '--with-colons', '--list-secret-keys', email], { env });
  const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(stdout)?.[1] as string;
  const trustFile = join(dir, `${email}.asc`);
  writeFileSync(trustFile, (await run('gpg', ['--batch', '--armor', '--export', email], { env })).stdout);
  // git runs gpg.program with its own arguments; this one only adds the key's home.
  const program = join(dir, `gpg-${email}.sh`);
  writeFileSync(program, `#!/bin/sh\nexec gpg --homedir '${home}' "$@"\n`);
  chmodSync(program, 0o755);
  return { trustFile, gitConfig: { 'commit.gpgsign': 'true', 'gpg.format': 'openpgp', 'gpg.program': program, 'user.signingkey': fingerprint } };
}

export async function makeSshKey(dir: string, principal: string): Promise<SigningKey> {
  const keyFile = join(dir, `ssh-${principal}`);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', principal, '-f', keyFile]);
  const trustFile = join(dir, `allowed_signers-${principal}`);
  writeFileSync(trustFile, `${principal} namespaces="git" ${readFileSync(`${keyFile}.pub`, 'utf8')}`);
  return { trustFile, gitConfig: { 'commit.gpgsign': 'true', 'gpg.format': 'ssh', 'user.signingkey': keyFile } };
}
