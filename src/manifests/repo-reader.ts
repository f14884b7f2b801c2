// Read access to one revision of a config repo: a plain directory, or a commit of a Git
// repository read straight from its object store (no working-tree checkout, so the daemon
// never has a half-written tree and can read any commit it likes).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, posix, relative, resolve, sep } from 'node:path';
import git from 'isomorphic-git';

export interface RepoReader {
  /** The commit id, or `dir-<hash>` of the files for a plain directory. */
  readonly revision: string;
  /** Contents of a repo-relative file, or undefined when there is no such file. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Names of the entries of a repo-relative directory (empty when there is none). */
  listDir(path: string): Promise<string[]>;
}

/**
 * A file the repository holds but Flotilla refuses to read: a symbolic link (in Git, a link
 * is a path to follow, possibly out of the repository, not content), or a link out of a
 * plain directory. The loader turns it into a problem on that file.
 */
export class RepoFileRefused extends Error {
  readonly code = 'RepoFileRefused';
  constructor(readonly file: string, reason: string) {
    super(reason);
  }
}

/** Normalizes a repo-relative path; undefined when it would leave the repository. */
export function repoPath(path: string): string | undefined {
  const normalized = posix.normalize(path.replace(/\\/g, '/')).replace(/^\.\/+/, '');
  if (normalized.startsWith('../') || normalized === '..' || posix.isAbsolute(normalized)) return undefined;
  return normalized;
}

export async function directoryReader(dir: string): Promise<RepoReader> {
  const root = resolve(dir);
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat?.isDirectory()) throw new Error(`${dir} is not a directory`);
  const snapshot = await snapshotTree(root);
  return {
    revision: `dir-${snapshot.hash}`,
    async readFile(path) {
      const rel = repoPath(path);
      if (rel === undefined) return undefined;
      // Served from the snapshot the revision was computed from; only what it skipped
      // (symlinks, large files) is read from disk.
      return snapshot.files.get(rel) ?? readInside(root, rel);
    },
    async listDir(path) {
      const rel = repoPath(path);
      if (rel === undefined) return [];
      return (await fs.readdir(join(root, rel)).catch(() => [] as string[])).sort();
    },
  };
}

async function readInside(root: string, rel: string): Promise<Buffer | undefined> {
  const full = join(root, rel);
  // A symlink must not lead a manifest read outside the repository.
  const real = await fs.realpath(full).catch(() => undefined);
  if (!real) return undefined;
  if (real !== root && !real.startsWith(root + sep)) throw new RepoFileRefused(rel, `${rel} is a symbolic link to a file outside the repository; Flotilla reads only files inside it (copy the file into the repository)`);
  const stat = await fs.stat(real);
  return stat.isFile() ? fs.readFile(real) : undefined;
}

/** Files kept in memory: any manifest fits (they are capped at 1 MiB), the total is bounded. */
const SNAPSHOT_FILE_BYTES = 1024 * 1024;
const SNAPSHOT_TOTAL_BYTES = 256 * 1024 * 1024;
/** Reads in flight at once: enough to keep the disk busy, few enough never to run out of fds. */
const READ_CONCURRENCY = 64;

/**
 * Reads the tree once, for a stable content hash (names and bytes; VCS and build folders
 * skipped) and to keep the small files, so a load reads the very bytes its revision names
 * and does not read every file twice.
 */
async function snapshotTree(root: string): Promise<{ hash: string; files: Map<string, Buffer> }> {
  const hash = createHash('sha256');
  const files = new Map<string, Buffer>();
  let kept = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = (await fs.readdir(dir, { withFileTypes: true }))
      .filter((e) => e.name !== '.git' && e.name !== 'node_modules' && e.name !== '.flotilla')
      .sort((a, b) => a.name.localeCompare(b.name));
    const contents: Array<Buffer | undefined> = [];
    for (let i = 0; i < entries.length; i += READ_CONCURRENCY) {
      const batch = entries.slice(i, i + READ_CONCURRENCY);
      contents.push(...(await Promise.all(batch.map((e) => (e.isFile() ? fs.readFile(join(dir, e.name)) : undefined)))));
    }
    for (const [i, entry] of entries.entries()) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      const content = contents[i];
      if (!content) continue;
      const rel = relative(root, full);
      hash.update(rel).update('\0').update(content).update('\0');
      if (content.byteLength <= SNAPSHOT_FILE_BYTES && kept + content.byteLength <= SNAPSHOT_TOTAL_BYTES) {
        files.set(rel.split(sep).join('/'), content);
        kept += content.byteLength;
      }
    }
  };
  await walk(root);
  return { hash: hash.digest('hex').slice(0, 12), files };
}

export interface GitCommitReaderOptions {
  /** The `.git` directory (or a bare repository). */
  gitdir: string;
  commit: string;
  /** isomorphic-git's pack cache, shared across reads of one repository. */
  cache?: object;
}

export function gitCommitReader(options: GitCommitReaderOptions): RepoReader {
  return {
    revision: options.commit,
    async readFile(path) {
      const rel = repoPath(path);
      if (rel === undefined) return undefined;
      try {
        const cache = options.cache ? { cache: options.cache } : {};
        const { blob } = await git.readBlob({ fs, gitdir: options.gitdir, oid: options.commit, filepath: rel, ...cache });
        // The blob of a link is its target path; reading it as content would be wrong, and
        // following it could leave the repository. One tree read tells a link from a file.
        if (await isSymlink(options.gitdir, options.commit, rel, cache)) {
          throw new RepoFileRefused(rel, `${rel} is a symbolic link in Git; Flotilla reads only regular files from the repository (commit the file itself instead of a link to it)`);
        }
        return Buffer.from(blob);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'NotFoundError' || code === 'ObjectTypeError') return undefined;
        throw err;
      }
    },
    async listDir(path) {
      const rel = repoPath(path);
      if (rel === undefined) return [];
      try {
        const { tree } = await git.readTree({ fs, gitdir: options.gitdir, oid: options.commit, ...(rel && rel !== '.' ? { filepath: rel } : {}), ...(options.cache ? { cache: options.cache } : {}) });
        return tree.map((entry) => entry.path).sort();
      } catch {
        return [];
      }
    },
  };
}

async function isSymlink(gitdir: string, commit: string, rel: string, cache: { cache?: object }): Promise<boolean> {
  const dir = posix.dirname(rel);
  const { tree } = await git.readTree({ fs, gitdir, oid: commit, ...(dir !== '.' ? { filepath: dir } : {}), ...cache });
  return tree.some((entry) => entry.path === posix.basename(rel) && entry.mode === '120000');
}
