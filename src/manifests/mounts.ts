// Compose `volumes:` entries of a service (short "src:dst:ro" and long syntax) and
// `tmpfs:`, as MountSpecs.
import type { MountSpec } from './model.js';
import { parseByteSize } from './compose-values.js';

export type MountParse = { ok: true; mount: MountSpec } | { ok: false; message: string };

export function parseMount(value: unknown): MountParse {
  if (typeof value === 'string') return parseShortMount(value);
  const long = value as { type: 'volume' | 'bind' | 'tmpfs'; source?: string; target: string; read_only?: boolean; tmpfs?: { size?: string | number } };
  const readOnly = long.read_only ?? false;
  if (!long.target.startsWith('/')) return { ok: false, message: `mount target ${JSON.stringify(long.target)} must be an absolute path in the container` };
  if (long.type === 'tmpfs') {
    if (long.tmpfs?.size !== undefined && parseByteSize(long.tmpfs.size) === undefined) return { ok: false, message: `tmpfs size ${JSON.stringify(long.tmpfs.size)} is not a size such as 64m` };
    return { ok: true, mount: { type: 'tmpfs', target: long.target, readOnly } };
  }
  if (long.type === 'bind') {
    if (!long.source) return { ok: false, message: 'a bind mount needs `source`, an absolute host path' };
    return bindMount(long.source, long.target, readOnly);
  }
  return { ok: true, mount: { type: 'volume', target: long.target, readOnly, ...(long.source ? { source: long.source } : {}) } };
}

function parseShortMount(text: string): MountParse {
  const parts = text.split(':');
  if (parts.length === 1) {
    if (!text.startsWith('/')) return { ok: false, message: `volume ${JSON.stringify(text)} must be "name:/path", "/host:/path" or "/path"` };
    return { ok: true, mount: { type: 'volume', target: text, readOnly: false } };
  }
  if (parts.length > 3) return { ok: false, message: `volume ${JSON.stringify(text)} has too many ":"` };
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (mode !== undefined && !/^(ro|rw)(,[a-z]+)*$|^(z|Z)$/.test(mode)) return { ok: false, message: `volume ${JSON.stringify(text)} has an unknown mode "${mode}"; use ro or rw` };
  const readOnly = mode?.split(',').includes('ro') ?? false;
  if (!target.startsWith('/')) return { ok: false, message: `volume ${JSON.stringify(text)}: the container path must be absolute` };
  if (source.startsWith('/') || source.startsWith('.') || source.startsWith('~')) return bindMount(source, target, readOnly);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source)) return { ok: false, message: `volume ${JSON.stringify(text)}: "${source}" is not a volume name` };
  return { ok: true, mount: { type: 'volume', source, target, readOnly } };
}

function bindMount(source: string, target: string, readOnly: boolean): MountParse {
  if (!source.startsWith('/')) {
    return { ok: false, message: `bind mount source ${JSON.stringify(source)} is relative; the stack runs on remote nodes, so use an absolute host path or a named volume` };
  }
  // Stored resolved, so the path the policy checked is exactly the path that is mounted.
  return { ok: true, mount: { type: 'bind', source: normalizeHostPath(source), target, readOnly } };
}

/** `tmpfs: /run` or `tmpfs: [/run, /tmp:size=64m]`. */
export function parseTmpfs(value: string | string[]): MountSpec[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((entry) => ({ type: 'tmpfs' as const, target: entry.split(':')[0] as string, readOnly: false }));
}

/** True when `path` lies at or below one of the allowed prefixes (by path segments, not by string). */
export function bindAllowed(path: string, allowedPrefixes: readonly string[]): boolean {
  const normalized = normalizeHostPath(path);
  return allowedPrefixes.some((prefix) => {
    const p = normalizeHostPath(prefix);
    return p === '/' || normalized === p || normalized.startsWith(p + '/');
  });
}

/** `/srv/data/../../etc` -> `/etc`: `..` and `.` resolved lexically, as the kernel would (symlinks aside). */
export function normalizeHostPath(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}
