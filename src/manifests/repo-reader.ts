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
  return {
    revision: `dir-${await hashTree(root)}`,
    readFile: (path) => readInside(root, path),
    async listDir(path) {
      const rel = repoPath(path);
      if (rel === undefined) return [];
      return (await fs.readdir(join(root, rel)).catch(() => [] as string[])).sort();
    },
  };
}

async function readInside(root: string, path: string): Promise<Buffer | undefined> {
  const rel = repoPath(path);
  if (rel === undefined) return undefined;
  const full = join(root, rel);
  // A symlink must not lead a manifest read outside the repository.
  const real = await fs.realpath(full).catch(() => undefined);
  if (!real || (real !== root && !real.startsWith(root + sep))) return undefined;
  const stat = await fs.stat(real);
  return stat.isFile() ? fs.readFile(real) : undefined;
}

/** A stable content hash of a directory tree (names and bytes), skipping VCS and build folders. */
async function hashTree(root: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name === '.git' || entry.name === 'node_modules' || entry.name === '.flotilla') continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        hash.update(relative(root, full)).update('\0').update(await fs.readFile(full)).update('\0');
      }
    }
  };
  await walk(root);
  return hash.digest('hex').slice(0, 12);
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
        const { blob } = await git.readBlob({ fs, gitdir: options.gitdir, oid: options.commit, filepath: rel, ...(options.cache ? { cache: options.cache } : {}) });
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
