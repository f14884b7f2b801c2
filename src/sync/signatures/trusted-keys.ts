// The keys a commit may be signed with: files on the controller's host, each an armored
// OpenPGP public key (block) or an SSH allowed_signers file as Git's gpg.ssh.allowedSignersFile
// uses. Read at every check (they are small), so that rotating a key needs no restart.
import { promises as fs } from 'node:fs';
import * as openpgp from 'openpgp';

export interface TrustedKeys {
  openpgp: openpgp.PublicKey[];
  /** allowed_signers files, passed to ssh-keygen as they are. */
  sshAllowedSigners: string[];
  /** For messages: the files and what they hold. */
  describe: string;
}

export class TrustedKeysError extends Error {
  readonly code = 'TRUSTED_KEYS_UNREADABLE' as const;
}

export async function readTrustedKeys(files: readonly string[]): Promise<TrustedKeys> {
  const keys: TrustedKeys = { openpgp: [], sshAllowedSigners: [], describe: files.join(', ') };
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      throw new TrustedKeysError(`cannot read the trusted key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
      try {
        keys.openpgp.push(...(await openpgp.readKeys({ armoredKeys: text })));
      } catch (err) {
        throw new TrustedKeysError(`${file} is not a readable OpenPGP public key: ${(err as Error).message}`);
      }
    } else if (text.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')) {
      throw new TrustedKeysError(`${file} holds an OpenPGP private key; give the controller only public keys (gpg --export --armor)`);
    } else if (/^\s*[^#\s]\S*\s+(\S+\s+)?(ssh-|ecdsa-|sk-)/m.test(text)) {
      keys.sshAllowedSigners.push(file);
    } else {
      throw new TrustedKeysError(`${file} is neither an armored OpenPGP public key nor an SSH allowed_signers file ("principal ssh-ed25519 AAAA..." lines)`);
    }
  }
  return keys;
}
