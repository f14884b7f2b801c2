// The options every command that reads a config repository shares (validate, plan, apply),
// declared once so their wording and defaults cannot drift apart, and turned into a
// RepoReader the same way everywhere (a private https repository needs the token in each).
import type { RepoReader } from '../manifests/repo-reader.js';
import { readSecret } from '../secrets.js';
import { openRepo } from './open-repo.js';
import { AGE_KEY_FILE_OPTION } from './age-key-option.js';
import type { OptionSpec, OptionSpecs, ParsedOptions } from './options.js';

/** Also the daemon's (`flotilla run`), whose other repository options read differently. */
export const GIT_TOKEN_FILE_OPTION: OptionSpec = { type: 'string', value: 'FILE', description: 'File holding the Git HTTPS token (or set FLOTILLA_GIT_TOKEN)' };

export const REPO_OPTIONS: OptionSpecs = {
  repo: { type: 'string', default: '.', value: 'URL|DIR', description: 'Config repository: a directory (read as it is on disk), a local Git repository, or an https:// URL' },
  branch: { type: 'string', default: 'main', value: 'NAME', description: 'Branch of a URL repository' },
  path: { type: 'string', value: 'PATH', description: 'Cluster directory, e.g. clusters/production (default: the only cluster)' },
  'state-dir': { type: 'string', default: '.flotilla', value: 'DIR', description: 'Where the Git cache of a URL repository lives' },
  'git-token-file': GIT_TOKEN_FILE_OPTION,
  'age-key-file': AGE_KEY_FILE_OPTION,
};

/** `--ref`, for the commands that read one commit rather than the branch head. */
export const REF_OPTION: OptionSpecs = {
  ref: { type: 'string', value: 'REF', description: 'A commit, branch or tag to read (default: the files on disk, or the branch head of a URL)' },
};

/** The Git token of these options, from --git-token-file or FLOTILLA_GIT_TOKEN. */
export function gitToken(options: ParsedOptions, env: NodeJS.ProcessEnv): string | undefined {
  return readSecret(options['git-token-file'] as string | undefined, 'FLOTILLA_GIT_TOKEN', env);
}

/**
 * Opens the repository of these options at a ref (undefined: the files on disk, or the
 * branch head of a URL); the token is read once, however many refs are opened.
 */
export function repoOpener(options: ParsedOptions, env: NodeJS.ProcessEnv): (ref: string | undefined) => Promise<RepoReader> {
  const token = gitToken(options, env);
  return (ref) => openRepo(options.repo as string, ref, { branch: options.branch as string, stateDir: options['state-dir'] as string, ...(token ? { token } : {}) });
}
