// Reads, before a stack is normalized, every repo file its configs, secrets and relative
// bind mounts name, so normalizing can stay synchronous (as env_file does). Reads go
// through the repo reader, so a symlink or a path out of the repository is refused the same
// way as for env_file; a folder is walked through the reader too.
import { posix } from 'node:path';
import type { RepoReader } from './repo-reader.js';
import { readSecretBytes } from './secret-source.js';
import type { SecretBytes } from './secret-bytes.js';
import { relativeBindSource } from './repo-binds.js';
import type { EncryptedFileContext } from './secrets/open-repo-file.js';

/** What all delivered files of one stack may add up to (the cap is per stack, named in its error). */
export const MAX_STACK_FILE_BYTES = 1024 * 1024;
/** Files in one bind-mounted folder; more is a mistake (a vendored tree), not configuration. */
export const MAX_FOLDER_FILES = 500;

export type RepoTree =
  | { kind: 'file'; bytes: Buffer }
  /** `truncated`: the walk stopped at a limit; `files` are what was read until then. */
  | { kind: 'folder'; files: Array<{ path: string; bytes: Buffer }>; bytes: number; truncated: boolean };

export interface StackFiles {
  /** Config files and bind-mounted files or folders, by repo path; undefined: not in the commit. */
  trees: ReadonlyMap<string, RepoTree | undefined>;
  /** Secret files by repo path; undefined: not in the commit. */
  secrets: ReadonlyMap<string, SecretBytes | undefined>;
}

type Raw = Record<string, unknown>;

/** `resolve` turns a path written in the Compose file into a repo path (undefined: outside the repo). */
export async function readStackFiles(reader: RepoReader, compose: Raw, resolve: (path: string) => string | undefined, encrypted: EncryptedFileContext): Promise<StackFiles> {
  const treePaths = new Set<string>();
  const secretPaths = new Set<string>();
  for (const def of Object.values((compose.configs as Record<string, Raw | null> | undefined) ?? {})) {
    const path = typeof def?.file === 'string' ? resolve(def.file) : undefined;
    if (path !== undefined) treePaths.add(path);
  }
  for (const def of Object.values((compose.secrets as Record<string, Raw | null> | undefined) ?? {})) {
    const path = typeof def?.file === 'string' ? resolve(def.file) : undefined;
    if (path !== undefined) secretPaths.add(path);
  }
  for (const service of Object.values((compose.services as Record<string, Raw> | undefined) ?? {})) {
    for (const entry of (service.volumes as unknown[] | undefined) ?? []) {
      const source = relativeBindSource(entry);
      const path = source === undefined ? undefined : resolve(source);
      if (path !== undefined) treePaths.add(path);
    }
  }
  const trees = new Map<string, RepoTree | undefined>();
  const secrets = new Map<string, SecretBytes | undefined>();
  // One after another: a stack names a handful of files, and a folder walk is bounded.
  for (const path of treePaths) trees.set(path, await readTree(reader, path));
  for (const path of secretPaths) secrets.set(path, await readSecretBytes(reader, { path, encrypted }));
  return { trees, secrets };
}

async function readTree(reader: RepoReader, path: string): Promise<RepoTree | undefined> {
  const bytes = await reader.readFile(path);
  if (bytes !== undefined) return { kind: 'file', bytes };
  if ((await reader.listDir(path)).length === 0) return undefined;
  const folder: Extract<RepoTree, { kind: 'folder' }> = { kind: 'folder', files: [], bytes: 0, truncated: false };
  const walk = async (rel: string): Promise<void> => {
    for (const name of await reader.listDir(rel === '' ? path : posix.join(path, rel))) {
      if (folder.truncated) return;
      const child = rel === '' ? name : posix.join(rel, name);
      const content = await reader.readFile(posix.join(path, child));
      if (content === undefined) {
        await walk(child);
        continue;
      }
      folder.files.push({ path: child, bytes: content });
      folder.bytes += content.byteLength;
      if (folder.files.length > MAX_FOLDER_FILES || folder.bytes > MAX_STACK_FILE_BYTES) folder.truncated = true;
    }
  };
  await walk('');
  return folder;
}
