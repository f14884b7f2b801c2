// The one tar archive a service's delivered files make, extracted at `/` of each new
// container before it starts. Only the folders of a bind-mounted repo folder get entries of
// their own: a file's missing parents are made by Docker (0755, root), and existing parents
// such as /etc keep their owner and mode.
import type { DeliveredFile } from '../../manifests/model.js';
import { contentBytes } from '../../manifests/secret-bytes.js';
import { writeTar, type TarEntry } from '../../docker/tar-archive.js';
import { posix } from 'node:path';

const FOLDER_MODE = 0o755;

export class UndeliverableFileError extends Error {
  readonly code = 'UndeliverableFile';
}

export function fileArchive(files: readonly DeliveredFile[]): Buffer {
  const entries: TarEntry[] = [];
  for (const file of files) {
    const root = file.target.replace(/^\/+/, '');
    const owner = { uid: file.uid, gid: file.gid };
    if (file.directory) {
      const folders = new Set<string>([root]);
      for (const entry of file.entries) {
        for (let dir = posix.dirname(entry.path); dir !== '.'; dir = posix.dirname(dir)) folders.add(posix.join(root, dir));
      }
      for (const dir of [...folders].sort()) entries.push({ path: dir, type: 'directory', mode: FOLDER_MODE, ...owner });
    }
    for (const entry of file.entries) {
      const content = contentBytes(entry.content);
      if (!content) {
        // A secret read back from a snapshot on disk: its bytes were never written there.
        throw new UndeliverableFileError(`${file.kind} ${file.name} has no content at hand (secrets are never written to the state dir); it is read again from the commit in Git`);
      }
      entries.push({ path: entry.path === '' ? root : posix.join(root, entry.path), type: 'file', mode: entry.mode, content, ...owner });
    }
  }
  return writeTar(entries);
}
