// Where the desired state comes from: a remote repository over HTTPS (a bare clone cache
// under the state dir), a local Git repository (its refs and objects read in place), or a
// plain directory (its content hash as the revision). The reconciler only sees GitSource,
// so it neither knows nor cares which one it has.
import { existsSync, readFileSync, statSync, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import git from 'isomorphic-git';
import { directoryReader, gitCommitReader, type RepoReader } from '../manifests/repo-reader.js';
import { GitRefNotFoundError, GitRepoNotFoundError } from './git-errors.js';
import { RemoteMirror, type GitSourceEvent } from './git-mirror.js';
import { SingleFlight } from './mutex.js';

export type { GitSourceEvent } from './git-mirror.js';
export * from './git-errors.js';

export interface FetchResult {
  /** Commit id, or `dir-<hash>` for a plain directory. */
  revision: string;
  /** Full commit message, trimmed. */
  message?: string;
  /** `Name <email>` of the commit's author. */
  author?: string;
  /** Commit (committer) time in milliseconds since the epoch, like Date.now(). */
  time?: number;
}

export interface GitSource {
  readonly kind: 'remote' | 'local-git' | 'directory';
  /** Fetches (if remote) and resolves the tracked branch's head. Concurrent calls share one fetch. */
  fetch(): Promise<FetchResult>;
  /** A reader for a commit (fetching the branch's full history if the cache lacks it), or for the directory's content. */
  reader(revision: string): Promise<RepoReader>;
  /** Fetches an arbitrary ref such as refs/pull/12/head and returns its commit (for PR plans); a full commit id of the branch's history is returned as it is. */
  fetchRef(ref: string): Promise<string>;
  /** For logs and status; never contains credentials. */
  describe(): string;
  /** The raw commit object (headers, signature and message), for signature checks; absent for a plain directory. */
  commitObject?(revision: string): Promise<Uint8Array>;
}

export interface GitSourceOptions {
  /** https:// (or http://) URL, a local Git repository (working copy or bare), or a plain directory. */
  repo: string;
  branch: string;
  /** The bare clone cache goes to `<stateDir>/git/<hash of URL>`. */
  stateDir: string;
  /** Read from a file or the environment by the caller; sent as Basic auth password. */
  token?: string;
  /**
   * Basic-auth user name sent with the token. The default works with GitHub (PATs and App
   * tokens), GitLab personal/project/group tokens and Gitea, which check only the
   * password; use `oauth2` for GitLab OAuth tokens, `x-token-auth` for Bitbucket.
   */
  tokenUsername?: string;
  /** Longest wait to connect, for an answer, and between two chunks of data (default 30 s). */
  timeoutMs?: number;
  /** Longest a whole fetch may take (default 5 min). */
  deadlineMs?: number;
  /** Commits of history fetched (default 1; 0 = everything). Older commits are fetched on demand by reader(). */
  depth?: number;
  /** Clone afresh once the cache holds this many pack files (default 50); each fetch adds one. */
  recloneAfterPacks?: number;
  log?: (event: GitSourceEvent) => void;
}

const OID = /^[0-9a-f]{40}$/;

export function openGitSource(options: GitSourceOptions): GitSource {
  const repo = options.repo.trim();
  if (/^https?:\/\//i.test(repo)) return remoteSource(repo, options);
  if (/^(ssh|git):\/\//i.test(repo) || /^[\w.-]+@[\w.-]+:/.test(repo)) {
    // isomorphic-git speaks only HTTP(S); the URL is not echoed in case it carries a secret.
    throw new Error('--repo: SSH and git:// URLs are not supported; use the HTTPS URL of the repository with a token (--git-token-file)');
  }
  const dir = resolve(repo.replace(/^file:\/\//i, ''));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new GitRepoNotFoundError(dir, 'no such directory');
  const gitdir = findGitdir(dir);
  return gitdir ? localGitSource(dir, gitdir, options.branch) : directorySource(dir);
}

function remoteSource(url: string, options: GitSourceOptions): GitSource {
  const token = options.token?.trim() || undefined;
  const branchRef = `refs/heads/${options.branch}`;
  const mirror = new RemoteMirror({
    url,
    branch: options.branch,
    stateDir: options.stateDir,
    ...(token !== undefined ? { token } : {}),
    tokenUsername: options.tokenUsername ?? 'x-access-token',
    timeoutMs: options.timeoutMs ?? 30_000,
    deadlineMs: options.deadlineMs ?? 300_000,
    depth: options.depth === 0 ? undefined : (options.depth ?? 1),
    recloneAfterPacks: options.recloneAfterPacks ?? 50,
    log: options.log ?? (() => undefined),
  });
  const fetches = new SingleFlight<FetchResult>();
  const refFetches = new SingleFlight<string>();
  const location = (): Location => ({ gitdir: mirror.dir, cache: mirror.cache });
  return {
    kind: 'remote',
    fetch: () =>
      fetches.run('branch', async () => {
        const oid = await mirror.fetch(branchRef, true);
        // location() only now: a re-clone during the fetch replaced the cache object.
        return describeCommit(location(), oid);
      }),
    async reader(revision) {
      if (!OID.test(revision)) throw new GitRefNotFoundError(mirror.url, revision, 'not a commit id');
      await mirror.ensureCommit(revision);
      return liveCommitReader(revision, location, () => mirror.ensureCommit(revision));
    },
    async fetchRef(ref) {
      // A full commit id (a CI's $GITHUB_SHA) names no ref to fetch; it is found in the
      // branch's history, fetched deeper if need be, as reader() does.
      if (OID.test(ref)) {
        await mirror.ensureCommit(ref);
        return ref;
      }
      const full = fullRef(ref, mirror.url);
      return refFetches.run(full, () => mirror.fetch(full, full === branchRef));
    },
    describe: () => `${mirror.url} (branch ${options.branch})`,
    async commitObject(revision) {
      await mirror.ensureCommit(revision);
      return rawCommit(location(), revision);
    },
  };
}

function localGitSource(dir: string, gitdir: string, branch: string): GitSource {
  // Reset when a read fails: `git gc` in the repository may have replaced the packs.
  let cache: object = {};
  const location = (): Location => ({ gitdir, cache });
  const resolveLocal = async (ref: string): Promise<string> => {
    try {
      return await git.resolveRef({ fs, gitdir, ref });
    } catch {
      throw new GitRefNotFoundError(dir, ref);
    }
  };
  const ensure = async (revision: string): Promise<void> => {
    cache = {};
    try {
      await git.readCommit({ fs, gitdir, oid: revision, cache });
    } catch {
      throw new GitRefNotFoundError(dir, revision, 'no such commit');
    }
  };
  return {
    kind: 'local-git',
    fetch: async () => {
      const oid = await resolveLocal(`refs/heads/${branch}`);
      return describeCommit(location(), oid);
    },
    async reader(revision) {
      if (!OID.test(revision)) throw new GitRefNotFoundError(dir, revision, 'not a commit id');
      await ensure(revision);
      return liveCommitReader(revision, location, () => ensure(revision));
    },
    fetchRef: async (ref) => resolveLocal(fullRef(ref, dir)),
    describe: () => `git repository ${dir} (branch ${branch})`,
    async commitObject(revision) {
      await ensure(revision);
      return rawCommit(location(), revision);
    },
  };
}

function directorySource(dir: string): GitSource {
  // directoryReader snapshots the files it hashed, so the reader of the last fetch serves
  // exactly that revision even if the directory changes during the reconcile.
  let last: RepoReader | undefined;
  return {
    kind: 'directory',
    async fetch() {
      last = await directoryReader(dir);
      return { revision: last.revision };
    },
    async reader(revision) {
      if (last?.revision === revision) return last;
      // Older content is gone from disk: a reader for an older hash would lie.
      const current = await directoryReader(dir);
      if (current.revision !== revision) throw new GitRefNotFoundError(dir, revision, `the content changed since (now ${current.revision}); fetch again`);
      return current;
    },
    fetchRef: async (ref) => {
      throw new GitRefNotFoundError(dir, ref, 'a plain directory has no refs');
    },
    describe: () => `directory ${dir}`,
  };
}

/** `.git` directory, `.git` file (worktree, submodule), or a bare repository; else undefined. */
function findGitdir(dir: string): string | undefined {
  const dotGit = join(dir, '.git');
  if (existsSync(dotGit)) {
    if (statSync(dotGit).isDirectory()) return dotGit;
    const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    if (!pointer) return undefined;
    const target = resolve(dir, pointer);
    // A worktree's own gitdir holds only its HEAD; branches and objects live in the common dir.
    const common = join(target, 'commondir');
    return existsSync(common) ? resolve(target, readFileSync(common, 'utf8').trim()) : target;
  }
  const bare = existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects')) && existsSync(join(dir, 'refs'));
  return bare ? dir : undefined;
}

function fullRef(ref: string, where: string): string {
  const full = ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
  if (!/^refs\/[\w./-]+$/.test(full) || full.includes('..') || full.endsWith('/') || full.endsWith('.lock')) {
    throw new GitRefNotFoundError(where, ref, 'not a valid ref name');
  }
  return full;
}

interface Location {
  gitdir: string;
  cache: object;
}

async function rawCommit(at: Location, oid: string): Promise<Uint8Array> {
  const { object } = await git.readObject({ fs, gitdir: at.gitdir, oid, format: 'content', cache: at.cache });
  // format 'content' always gives the object's bytes; the union type also covers parsed forms.
  return object as Uint8Array;
}

async function describeCommit(at: Location, oid: string): Promise<FetchResult> {
  const { commit } = await git.readCommit({ fs, gitdir: at.gitdir, oid, cache: at.cache });
  return {
    revision: oid,
    message: commit.message.trim(),
    author: `${commit.author.name} <${commit.author.email}>`,
    time: commit.committer.timestamp * 1000,
  };
}

/**
 * A reader that looks up the repository's current location and cache on every call. The
 * plain gitCommitReader answers "no such file" when the commit itself is gone (say, the
 * cache was re-cloned between two reads), which would make a whole cluster look deleted;
 * so a miss is double-checked against the commit, which is fetched again when missing.
 */
function liveCommitReader(revision: string, location: () => Location, ensure: () => Promise<void>): RepoReader {
  const read = async <T>(op: (reader: RepoReader) => Promise<T>, missed: (value: T) => boolean): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      const at = location();
      let outcome: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await op(gitCommitReader({ gitdir: at.gitdir, commit: revision, cache: at.cache })) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      if (outcome.ok && !missed(outcome.value)) return outcome.value;
      const present = await git.readCommit({ fs, gitdir: at.gitdir, oid: revision, cache: at.cache }).then(() => true, () => false);
      if (attempt > 0 || present) {
        if (outcome.ok) return outcome.value;
        throw outcome.error;
      }
      await ensure();
    }
  };
  return {
    revision,
    readFile: (path) => read((r) => r.readFile(path), (v) => v === undefined),
    listDir: (path) => read((r) => r.listDir(path), (v) => v.length === 0),
  };
}
