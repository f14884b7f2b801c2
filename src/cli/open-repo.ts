// Turns the CLI's --repo/--ref into a RepoReader: a directory is read as it is on disk
// (uncommitted edits included, which is what someone validating locally wants); with --ref
// the named commit of a local Git repository is read from its object store; a URL is
// fetched through the same Git source the daemon uses.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promises as fs } from 'node:fs';
import git from 'isomorphic-git';
import { directoryReader, gitCommitReader, type RepoReader } from '../manifests/repo-reader.js';
import { openGitSource } from '../sync/git-source.js';
import { UsageError } from './options.js';

export interface OpenRepoOptions {
  repo: string;
  ref?: string;
  branch?: string;
  stateDir?: string;
  token?: string;
}

export async function openRepo(repo: string, ref: string | undefined, extra: Omit<OpenRepoOptions, 'repo' | 'ref'> = {}): Promise<RepoReader> {
  if (/^https?:\/\//i.test(repo)) {
    const source = openGitSource({ repo, branch: extra.branch ?? 'main', stateDir: resolve(extra.stateDir ?? '.flotilla'), ...(extra.token ? { token: extra.token } : {}) });
    const revision = ref === undefined ? (await source.fetch()).revision : await source.fetchRef(ref);
    return source.reader(revision);
  }
  const dir = resolve(repo);
  if (!existsSync(dir)) throw new UsageError(`--repo ${repo}: no such directory`);
  if (ref === undefined) return directoryReader(dir);
  const gitdir = existsSync(join(dir, '.git')) ? join(dir, '.git') : dir;
  let commit: string;
  try {
    commit = await git.resolveRef({ fs, gitdir, ref }).catch(() => git.expandOid({ fs, gitdir, oid: ref }));
  } catch {
    throw new UsageError(`--ref ${ref}: no such branch, tag or commit in ${repo}`);
  }
  return gitCommitReader({ gitdir, commit, cache: {} });
}
