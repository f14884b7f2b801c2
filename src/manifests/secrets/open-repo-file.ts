// How the loader meets a repo file that may be encrypted (env_file, the stack's .env, a
// Compose secret): decrypted with the controller's keys; without keys, a warning for
// `flotilla validate` (whose CI has none) or an error for whatever would deploy it; a file
// that fails to decrypt or its MAC is always an error naming the file.
import type { ManifestProblem } from '../problems.js';
import type { AgeKeyring } from './age-identities.js';
import { decryptRepoFile, DecryptError, type EncryptedFormat } from './decrypt-file.js';

export interface EncryptedFileContext {
  keyring?: AgeKeyring;
  /** True where values are about to be used for real (run, apply): a locked file is then an error. */
  requireKeys: boolean;
  problems: ManifestProblem[];
  warnings: ManifestProblem[];
  onSecretValue?: (value: string) => void;
}

export type OpenedFile =
  | { state: 'clear'; bytes: Buffer }
  | { state: 'decrypted'; format: EncryptedFormat; bytes: Buffer }
  | { state: 'locked'; keys: string[] };

/** undefined when the file is encrypted and could not be opened (already reported). */
export async function openRepoFile(ctx: EncryptedFileContext, file: string, bytes: Buffer): Promise<OpenedFile | undefined> {
  try {
    const outcome = await decryptRepoFile(file, bytes, ctx.keyring);
    if (outcome.state !== 'locked') return outcome;
    const message = `${file} is encrypted (${outcome.format === 'age' ? 'age' : `SOPS ${outcome.format}`}) and no age identity was given to open it (--age-key-file or SOPS_AGE_KEY_FILE)`;
    if (ctx.requireKeys) {
      ctx.problems.push({ file, line: 1, col: 1, pointer: '', message });
      return undefined;
    }
    ctx.warnings.push({ file, line: 1, col: 1, pointer: '', message: `${message}; its structure was checked, its values were not` });
    return { state: 'locked', keys: outcome.keys };
  } catch (err) {
    if (!(err instanceof DecryptError)) throw err;
    ctx.problems.push({ file, line: 1, col: 1, pointer: '', message: err.message });
    return undefined;
  }
}

/**
 * The variables of a locked file whose names are unknown too (age encrypts the whole file):
 * every name reads as set, so validation without keys does not report variables that the
 * file very likely sets. Only `flotilla validate` and plans without keys ever see it.
 */
export class LockedVariables extends Map<string, string> {
  override get(key: string): string {
    return super.get(key) ?? LOCKED_VALUE_PLACEHOLDER;
  }

  override has(): boolean {
    return true;
  }
}

/** Stands in, for validation only, for a value of a file that could not be opened. */
export const LOCKED_VALUE_PLACEHOLDER = 'encrypted';
