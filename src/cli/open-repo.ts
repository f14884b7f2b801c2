// Turns the CLI's --repo/--ref into a RepoReader: a directory is read as it is on disk
// (uncommitted edits included, which is what someone validating locally wants); with --ref
// the named commit of a local Git repository is read from its object store.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promises as fs } from 'node:fs';
import git from 'isomorphic-git';
import { directoryReader, gitCommitReader, type RepoReader } from '../manifests/repo-reader.js';
import { UsageError } from './options.js';

export async function openRepo(repo: string, ref: string | undefined): Promise<RepoReader> {
  if (/^https?:\/\//.test(repo)) {
    throw new UsageError(`reading a remote repository (${repo}) needs the Git source of 'flotilla run'; for validate, clone it and pass the directory`);
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
