// `--age-key-file` (FLOTILLA_AGE_KEY_FILE, or SOPS's own SOPS_AGE_KEY_FILE / SOPS_AGE_KEY, so
// a Flux user's setup carries over): the age identities that open files committed encrypted.
// Read once at start-up; a bad file stops the command there, not at the first commit.
import { AgeKeyFileError, AgeKeyring, parseAgeIdentities, readAgeKeyFiles } from '../manifests/secrets/age-identities.js';
import { UsageError, type OptionSpec, type ParsedOptions } from './options.js';

export const AGE_KEY_FILE_OPTION: OptionSpec = {
  type: 'string',
  value: 'FILE',
  description: 'age identities (age-keygen output) that open SOPS/age files committed encrypted (or set SOPS_AGE_KEY_FILE)',
};

export function ageKeyring(options: ParsedOptions, env: NodeJS.ProcessEnv): AgeKeyring | undefined {
  try {
    const file = (options['age-key-file'] as string | undefined) || env.SOPS_AGE_KEY_FILE;
    if (file) return readAgeKeyFiles([file]);
    if (env.SOPS_AGE_KEY) return new AgeKeyring(parseAgeIdentities(env.SOPS_AGE_KEY, 'SOPS_AGE_KEY'));
    return undefined;
  } catch (err) {
    if (err instanceof AgeKeyFileError) throw new UsageError(err.message);
    throw err;
  }
}
