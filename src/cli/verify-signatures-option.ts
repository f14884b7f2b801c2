// --verify-signatures, shared by the daemon and `flotilla apply`: the commands that change a
// fleet. Keys given here apply whatever cluster.yaml says, so that no commit can switch
// verification off for itself.
import { accessSync, constants } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UsageError, type OptionSpec, type ParsedOptions } from './options.js';

export const VERIFY_SIGNATURES_OPTION: OptionSpec = {
  type: 'string',
  value: 'FILE[,FILE]',
  description: 'Apply only commits signed by these keys: armored OpenPGP public keys (gpg --export --armor) and/or SSH allowed_signers files',
};

/** The key files of --verify-signatures (absolute), or undefined when it is not given. */
export function verifySignatureKeys(options: ParsedOptions): string[] | undefined {
  const raw = options['verify-signatures'] as string | undefined;
  if (raw === undefined) return undefined;
  const files = raw.split(',').map((f) => f.trim()).filter(Boolean);
  if (files.length === 0) throw new UsageError('--verify-signatures needs at least one key file');
  // A key file that cannot be read stops the command now, not at the first commit.
  for (const file of files) {
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new UsageError(`--verify-signatures: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return files.map((f) => (isAbsolute(f) ? f : resolve(f)));
}
