// The one place a secret's bytes are read from the config repo. Everything that delivers a
// secret gets its bytes from here, so decryption (SOPS/age files committed encrypted) plugs
// in at this function and nowhere else.
import type { RepoReader } from './repo-reader.js';
import { SecretBytes } from './secret-bytes.js';

export interface SecretRead {
  /** Repo-relative path of the file the secret names. */
  path: string;
}

/**
 * The clear bytes of the secret file at `path`, or undefined when the commit has no such
 * file. Throws RepoFileRefused (from the reader) for a symlink or a link out of the repo.
 */
export async function readSecretBytes(reader: RepoReader, read: SecretRead): Promise<SecretBytes | undefined> {
  const bytes = await reader.readFile(read.path);
  return bytes === undefined ? undefined : new SecretBytes(bytes);
}
