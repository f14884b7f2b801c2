// Relative paths stay relative to the file that wrote them: a service extended from
// `../common/services.yaml`, or a project pulled in with `include`, names its env files,
// bind-mounted repo files and config/secret files from its own directory (as Compose v2
// resolves them). The rest of the loader resolves every path against the stack's compose
// file, so those paths are rewritten to say the same thing from there. A path that would
// leave the repository from where it was written is reported there, not silently taken
// from somewhere else.
import { posix } from 'node:path';
import { relativeBind } from '../repo-binds.js';
import { repoPath } from '../repo-reader.js';
import type { JsonPath } from '../yaml-source.js';

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface Rebase {
  /** Repo directory the paths were written from. */
  from: string;
  /** Repo directory of the stack's compose file, which later steps resolve against. */
  to: string;
  /** Reports a path (at `path` below the value being rebased) that leaves the repository. */
  report(path: JsonPath, message: string): void;
}

/** A service's env_file and relative bind mounts, rewritten for the stack's directory. */
export function rebaseService(service: Raw, rebase: Rebase): Raw {
  if (rebase.from === rebase.to) return service;
  const out: Raw = { ...service };
  if (typeof service.env_file === 'string') out.env_file = rebasePath(service.env_file, ['env_file'], rebase);
  else if (Array.isArray(service.env_file)) {
    out.env_file = service.env_file.map((entry, i) => {
      if (typeof entry === 'string') return rebasePath(entry, ['env_file', i], rebase);
      if (isRecord(entry) && typeof entry.path === 'string') return { ...entry, path: rebasePath(entry.path, ['env_file', i, 'path'], rebase) };
      return entry;
    });
  }
  if (Array.isArray(service.volumes)) {
    out.volumes = service.volumes.map((entry, i) => {
      const bind = relativeBind(entry);
      if (!bind) return entry;
      const source = rebasePath(bind.source, ['volumes', i], rebase);
      if (typeof entry === 'string') return [source, ...entry.split(':').slice(1)].join(':');
      return { ...(entry as Raw), source };
    });
  }
  return out;
}

/** Top-level `configs:` or `secrets:` with `file:` paths rewritten for the stack's directory. */
export function rebaseFileSection(section: unknown, rebase: Rebase): unknown {
  if (rebase.from === rebase.to || !isRecord(section)) return section;
  return Object.fromEntries(
    Object.entries(section).map(([name, def]) => [name, isRecord(def) && typeof def.file === 'string' ? { ...def, file: rebasePath(def.file, [name, 'file'], rebase) } : def]),
  );
}

function rebasePath(path: string, at: JsonPath, rebase: Rebase): string {
  if (posix.isAbsolute(path)) return path; // a host path: the policy checks decide later
  const full = repoPath(posix.join(rebase.from, path));
  if (full === undefined) {
    rebase.report(at, `${path} leaves the repository (written in ${rebase.from === '.' ? 'the repository root' : `${rebase.from}/`}, where relative paths start); Flotilla reads only files of the repository`);
    return path;
  }
  const rel = posix.relative(`/${rebase.to}`, `/${full}`);
  if (rel === '') return '.';
  return rel.startsWith('../') || rel === '..' ? rel : `./${rel}`;
}
