// The bare clone cache of a remote repository, `<stateDir>/git/<hash of URL>`. Commits are
// read straight from its object store, so there is never a checkout to keep consistent.
//
// Why it is built the way it is:
// - isomorphic-git must not run two writers on one repository: every write takes the
//   module-wide mutex of the cache directory.
// - A clone is built in a sibling directory and swapped in with renames only once it is
//   complete and verified, so a failed clone (server down) leaves the old cache readable
//   and a reader never sees a half-written repository.
// - isomorphic-git updates refs and the shallow file before it downloads the pack, so a
//   fetch cut off mid-way leaves refs pointing at missing objects. The cache therefore
//   keeps its own record of the last *verified* head in `refs/heads/<branch>`, written
//   only after the new commit's whole tree was read back.
// - Every fetch adds a pack file and isomorphic-git reads packs whole into memory, so past
//   `recloneAfterPacks` packs the cache is cloned afresh (one pack again).
// - Anything that goes wrong and is not a known remote condition (auth, network, missing
//   ref) is treated as a corrupt cache: deleted and cloned again, once per call.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import git from 'isomorphic-git';
import { classifyRemoteError, type ClassifyContext, GitCorruptCacheError, GitDiskFullError, GitRefNotFoundError, redactUrl, scrub } from './git-errors.js';
import { createGitHttpClient } from './git-http.js';
import { KeyedMutex } from './mutex.js';

export type GitSourceEvent =
  | { event: 'git.fetch'; url: string; ref: string; revision: string; durationMs: number; cloned: boolean }
  | { event: 'git.fetch.failed'; url: string; ref: string; code: string; message: string; durationMs: number }
  | { event: 'git.cache.reclone'; url: string; dir: string; reason: string };

export interface MirrorOptions {
  url: string;
  branch: string;
  stateDir: string;
  token?: string;
  tokenUsername: string;
  timeoutMs: number;
  deadlineMs: number;
  /** Commits of history per fetch; undefined = all. */
  depth: number | undefined;
  recloneAfterPacks: number;
  log: (event: GitSourceEvent) => void;
}

// git's own "--unshallow" asks for this depth.
const INFINITE_DEPTH = 0x7fffffff;
const writers = new KeyedMutex();

export function cacheDirFor(stateDir: string, url: string): string {
  return join(stateDir, 'git', createHash('sha256').update(redactUrl(url)).digest('hex').slice(0, 16));
}

export class RemoteMirror {
  readonly dir: string;
  readonly url: string;
  /** isomorphic-git's pack cache for `dir`; replaced (memory released) on every re-clone. */
  cache: object = {};
  private readonly fetchUrl: string;
  private readonly auth: { username: string; password: string } | undefined;
  /** What must never reach a message or log: the token and the header built from it. */
  private readonly secrets: string[];
  private readonly verified = new Set<string>();

  constructor(private readonly opts: MirrorOptions) {
    const parsed = new URL(opts.url);
    // Credentials written into the URL are honoured but never stored or logged.
    const urlAuth = parsed.username || parsed.password ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined;
    this.auth = opts.token !== undefined ? { username: opts.tokenUsername, password: opts.token } : urlAuth;
    this.secrets = this.auth ? [this.auth.password, basic(this.auth)] : [];
    parsed.username = '';
    parsed.password = '';
    this.fetchUrl = parsed.toString().replace(/\/$/, '');
    this.url = redactUrl(opts.url);
    this.dir = cacheDirFor(opts.stateDir, opts.url);
  }

  get branchRef(): string {
    return `refs/heads/${this.opts.branch}`;
  }

  /** Brings `remoteRef` into the cache and returns its commit; `track` records it as the branch head. */
  fetch(remoteRef: string, track: boolean, fullHistory = false): Promise<string> {
    return writers.run(this.dir, () => this.fetchLocked(remoteRef, track, fullHistory));
  }

  async hasCommit(oid: string): Promise<boolean> {
    if (!existsSync(this.dir)) return false;
    try {
      await git.readCommit({ fs, gitdir: this.dir, oid, cache: this.cache });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Makes sure a commit and its whole tree are in the cache, fetching the full history of
   * the branch when it is not (a shallow cache, or a re-clone, drops old commits such as
   * the last good one a revert needs).
   */
  async ensureCommit(oid: string): Promise<void> {
    if (this.verified.has(oid) && (await this.hasCommit(oid))) return;
    await writers.run(this.dir, async () => {
      if (!(await this.hasCommit(oid))) await this.fetchLocked(this.branchRef, true, true);
      if (!(await this.hasCommit(oid))) throw new GitRefNotFoundError(this.url, oid, `the commit is not in the history of ${this.opts.branch}`);
      await this.verify(this.dir, oid, this.cache);
    });
  }

  /** The last verified head of the branch, when there is one. */
  async head(): Promise<string | undefined> {
    try {
      return await git.resolveRef({ fs, gitdir: this.dir, ref: this.branchRef });
    } catch {
      return undefined;
    }
  }

  private async fetchLocked(remoteRef: string, track: boolean, fullHistory: boolean): Promise<string> {
    const started = Date.now();
    // The depth limit applies only when there is no branch head to offer as "have" (a
    // fresh clone). A shallow fetch ("deepen N") makes the server send the whole tree of
    // the new commit every time (measured: a one-file change of a 1 MB repo fetched 1 MB
    // again); without it, a fetch into a shallow clone stops at the existing shallow
    // boundary and brings just the new objects.
    const cloneDepth = fullHistory ? INFINITE_DEPTH : this.opts.depth;
    try {
      const reason = await this.problem();
      if (reason !== undefined) return await this.reclone(remoteRef, track, cloneDepth, reason, started);
      let oid: string;
      const depth = fullHistory ? INFINITE_DEPTH : (await this.head()) === undefined ? this.opts.depth : undefined;
      const shallow = await readOptional(join(this.dir, 'shallow'));
      try {
        oid = await this.fetchInto(this.dir, remoteRef, depth, this.cache);
        await this.verify(this.dir, oid, this.cache);
      } catch (err) {
        // isomorphic-git rewrites the shallow file before the pack arrives; a fetch cut off
        // mid-way would otherwise leave it naming commits the cache does not have.
        await restoreOptional(join(this.dir, 'shallow'), shallow);
        const known = classifyRemoteError(err, this.context(remoteRef));
        if (known) throw known;
        if (isDiskFull(err)) throw new GitDiskFullError(this.dir, { cause: err });
        return await this.reclone(remoteRef, track, cloneDepth, describeError(err, this.secrets), started);
      }
      if (track) await git.writeRef({ fs, gitdir: this.dir, ref: this.branchRef, value: oid, force: true });
      this.opts.log({ event: 'git.fetch', url: this.url, ref: remoteRef, revision: oid, durationMs: Date.now() - started, cloned: false });
      return oid;
    } catch (err) {
      const known = classifyRemoteError(err, this.context(remoteRef)) ?? (isDiskFull(err) ? new GitDiskFullError(this.dir, { cause: err }) : undefined);
      const final = known ?? new Error(`git fetch of ${remoteRef} from ${this.url} failed: ${describeError(err, this.secrets)}`);
      this.opts.log({ event: 'git.fetch.failed', url: this.url, ref: remoteRef, code: known?.code ?? 'GIT_ERROR', message: final.message, durationMs: Date.now() - started });
      throw final;
    }
  }

  /** Why the cache must be cloned afresh, or undefined when it can be fetched into. */
  private async problem(): Promise<string | undefined> {
    if (!existsSync(this.dir)) return 'no cache yet';
    if (!existsSync(join(this.dir, 'objects')) || !existsSync(join(this.dir, 'HEAD'))) return 'objects or HEAD missing';
    const packs = (await fs.readdir(join(this.dir, 'objects', 'pack')).catch(() => [] as string[])).filter((f) => f.endsWith('.pack'));
    if (packs.length >= this.opts.recloneAfterPacks) return `${packs.length} pack files (re-clone after ${this.opts.recloneAfterPacks})`;
    const head = await this.head();
    if (head === undefined) return undefined;
    try {
      await this.verify(this.dir, head, this.cache);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private async reclone(remoteRef: string, track: boolean, depth: number | undefined, reason: string, started: number): Promise<string> {
    if (existsSync(this.dir)) this.opts.log({ event: 'git.cache.reclone', url: this.url, dir: this.dir, reason });
    await this.removeLeftovers();
    const suffix = randomBytes(4).toString('hex');
    const fresh = `${this.dir}.new-${suffix}`;
    try {
      await fs.mkdir(dirname(this.dir), { recursive: true });
      await git.init({ fs, gitdir: fresh, bare: true, defaultBranch: this.opts.branch });
      // The URL is stored without credentials, for a person inspecting the cache.
      await git.setConfig({ fs, gitdir: fresh, path: 'remote.origin.url', value: this.url });
      await git.setConfig({ fs, gitdir: fresh, path: 'remote.origin.fetch', value: '+refs/heads/*:refs/remotes/origin/*' });
      const cache = {};
      const oid = await this.fetchInto(fresh, remoteRef, depth, cache);
      await this.verify(fresh, oid, cache);
      if (track) await git.writeRef({ fs, gitdir: fresh, ref: this.branchRef, value: oid, force: true });
      // Swap: old -> .old, new -> dir. Between the renames `dir` is briefly absent; readers
      // that miss it retry through ensureCommit, which waits for this lock.
      const old = `${this.dir}.old-${suffix}`;
      if (existsSync(this.dir)) await fs.rename(this.dir, old);
      await fs.rename(fresh, this.dir);
      this.cache = {};
      this.verified.clear();
      this.verified.add(oid);
      await fs.rm(old, { recursive: true, force: true });
      this.opts.log({ event: 'git.fetch', url: this.url, ref: remoteRef, revision: oid, durationMs: Date.now() - started, cloned: true });
      return oid;
    } finally {
      await fs.rm(fresh, { recursive: true, force: true });
    }
  }

  /** Clones that a crash interrupted leave `.new-*` / `.old-*` siblings behind. */
  private async removeLeftovers(): Promise<void> {
    const parent = dirname(this.dir);
    const prefix = basename(this.dir);
    for (const name of await fs.readdir(parent).catch(() => [] as string[])) {
      if (name.startsWith(`${prefix}.new-`) || name.startsWith(`${prefix}.old-`)) await fs.rm(join(parent, name), { recursive: true, force: true });
    }
  }

  private async fetchInto(gitdir: string, remoteRef: string, depth: number | undefined, cache: object): Promise<string> {
    // The overall deadline of this fetch; the client also bounds each connect and each gap.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`deadline of ${this.opts.deadlineMs} ms`)), this.opts.deadlineMs);
    try {
      const headers: Record<string, string> = {};
      if (this.auth) headers.authorization = `Basic ${basic(this.auth)}`;
      const result = await git.fetch({
        fs,
        http: createGitHttpClient({ timeoutMs: this.opts.timeoutMs, signal: controller.signal }),
        gitdir,
        cache,
        url: this.fetchUrl,
        remote: 'origin',
        // `ref` only picks the local ref whose commit is offered as "have", so an
        // incremental fetch downloads just the new objects.
        ref: this.branchRef,
        remoteRef,
        singleBranch: true,
        tags: false,
        // Sent up front: hosts that hide private repositories answer 404, not 401.
        headers,
        ...(depth !== undefined ? { depth } : {}),
      });
      if (!result.fetchHead) throw new GitRefNotFoundError(this.url, remoteRef, 'the repository is empty');
      return result.fetchHead;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads the commit and every tree and blob under it; a missing object means corruption. */
  private async verify(gitdir: string, oid: string, cache: object): Promise<void> {
    if (gitdir === this.dir && this.verified.has(oid)) {
      await git.readCommit({ fs, gitdir, oid, cache }).catch((err: unknown) => {
        throw new GitCorruptCacheError(gitdir, describeError(err, this.secrets), { cause: err });
      });
      return;
    }
    try {
      await git.readCommit({ fs, gitdir, oid, cache });
      await git.walk({
        fs,
        gitdir,
        cache,
        trees: [git.TREE({ ref: oid })],
        map: async (_path, [entry]) => {
          if (entry && (await entry.type()) === 'blob') await entry.content();
          return undefined; // descend, but keep nothing: only the reads matter
        },
        reduce: async () => undefined,
      });
    } catch (err) {
      throw new GitCorruptCacheError(gitdir, `commit ${oid.slice(0, 12)} cannot be read: ${describeError(err, this.secrets)}`, { cause: err });
    }
    if (gitdir === this.dir) this.verified.add(oid);
  }

  private context(ref: string): ClassifyContext {
    return { url: this.url, hasToken: this.auth !== undefined, secrets: this.secrets, ref };
  }
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  return fs.readFile(path).catch(() => undefined);
}

async function restoreOptional(path: string, content: Buffer | undefined): Promise<void> {
  if (content === undefined) await fs.rm(path, { force: true });
  else await fs.writeFile(path, content);
}

function describeError(err: unknown, secrets: readonly string[]): string {
  const e = err as { code?: unknown; message?: unknown };
  const text = typeof e?.message === 'string' ? e.message : String(err);
  return scrub(typeof e?.code === 'string' && !text.includes(e.code) ? `${e.code}: ${text}` : text, secrets);
}

function basic(auth: { username: string; password: string }): string {
  return Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
}

function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
