// A minimal POSIX ustar writer: regular files and directories, which is all that delivering
// configs and secrets into a container needs (PUT /containers/{id}/archive takes a tar).
// Deterministic (mtime 0, numeric owners only), so equal entries give equal bytes.

export interface TarEntry {
  /** Relative path inside the archive, `/`-separated, without a leading `/`. */
  path: string;
  type: 'file' | 'directory';
  mode: number;
  uid: number;
  gid: number;
  /** File content; ignored for directories. */
  content?: Buffer;
}

const BLOCK = 512;

export class TarPathError extends Error {
  readonly code = 'TarPathError';
}

export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === 'file' ? (entry.content ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(header(entry, content.byteLength));
    if (content.byteLength > 0) {
      parts.push(content);
      const pad = (BLOCK - (content.byteLength % BLOCK)) % BLOCK;
      if (pad > 0) parts.push(Buffer.alloc(pad));
    }
  }
  // The end of an archive is two blocks of zeros.
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const path = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const { name, prefix } = splitPath(path);
  block.write(name, 0, 100, 'utf8');
  octal(block, 100, 8, entry.mode & 0o7777);
  numeric(block, 108, 8, entry.uid);
  numeric(block, 116, 8, entry.gid);
  numeric(block, 124, 12, size);
  octal(block, 136, 12, 0);
  block.write(entry.type === 'directory' ? '5' : '0', 156, 1, 'ascii');
  block.write('ustar\u0000', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  // No user or group names: an extractor that finds one prefers it to the number, and the
  // names on the node are not the ones here.
  block.write(prefix, 345, 155, 'utf8');
  // The checksum is taken with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8, 'ascii');
  return block;
}

/** ustar keeps a path of up to 255 bytes as a prefix (155) and a name (100) split at a `/`. */
function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return { name, prefix };
  }
  throw new TarPathError(`the path ${path} is too long for a tar archive (at most 100 bytes after the last fitting "/", 255 in all)`);
}

/** Octal digits, zero-padded, NUL-terminated, filling the field. */
function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\u0000', offset, length, 'ascii');
}

/** Octal when it fits; otherwise the base-256 form (first byte 0x80) GNU tar and Go read. */
function numeric(block: Buffer, offset: number, length: number, value: number): void {
  if (value < 8 ** (length - 1)) {
    octal(block, offset, length, value);
    return;
  }
  let rest = BigInt(value);
  for (let i = offset + length - 1; i > offset; i--) {
    block[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  block[offset] = 0x80;
}
