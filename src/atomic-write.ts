// Writes a file so that a crash at any moment leaves either the old or the new content,
// never a torn file: temp file, fsync, rename, fsync of the folder.
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const dir = dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(temp, 'w', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
  const dirHandle = await fs.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
