// The one place a secret's bytes are read from the config repo. Everything that delivers a
// secret gets its bytes from here, so decryption (SOPS/age files committed encrypted) plugs
// in at this function and nowhere else.
import type { RepoReader } from './repo-reader.js';
import { SecretBytes } from './secret-bytes.js';
import { LOCKED_VALUE_PLACEHOLDER, openRepoFile, type EncryptedFileContext } from './secrets/open-repo-file.js';

export interface SecretRead {
  /** Repo-relative path of the file the secret names. */
  path: string;
  /** Keys and where to report an encrypted file that does not open. */
  encrypted: EncryptedFileContext;
}

/**
 * The clear bytes of the secret file at `path`, or undefined when the commit has no such
 * file. Throws RepoFileRefused (from the reader) for a symlink or a link out of the repo.
 */
export async function readSecretBytes(reader: RepoReader, read: SecretRead): Promise<SecretBytes | undefined> {
  const bytes = await reader.readFile(read.path);
  if (bytes === undefined) return undefined;
  // An encrypted file (age, SOPS) is opened here, so its clear bytes exist only in this
  // wrapper and, once delivered, in the container at /run/secrets/<name>.
  const opened = await openRepoFile(read.encrypted, read.path, bytes);
  if (opened === undefined || opened.state === 'locked') return new SecretBytes(Buffer.from(LOCKED_VALUE_PLACEHOLDER));
  if (opened.state === 'decrypted' && opened.bytes.byteLength >= 4 && opened.bytes.byteLength <= 4096) read.encrypted.onSecretValue?.(opened.bytes.toString('utf8').trim());
  return new SecretBytes(opened.bytes);
}
