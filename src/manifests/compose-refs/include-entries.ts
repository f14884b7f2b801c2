// The entries of a top-level `include:`, short (a path) or long (`path`: one file or
// several merged in order, `project_directory`, `env_file`), checked for shape with an
// error at the entry. Remote includes (git or OCI references) are refused where the
// entry is read: a deployed commit must name everything it runs.
import type { ManifestProblem } from '../problems.js';
import type { JsonPath, YamlSource } from '../yaml-source.js';

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
const KEYS = new Set(['path', 'project_directory', 'env_file']);

export interface IncludeEntry {
  /** Position of the entry in the including file. */
  at: JsonPath;
  paths: string[];
  pathAt(index: number): JsonPath;
  projectDirectory?: string;
  envFiles?: string[];
  envFileAt(index: number): JsonPath;
}

export function includeEntries(include: unknown, source: YamlSource, problems: ManifestProblem[]): IncludeEntry[] {
  if (include === undefined || include === null) return [];
  if (!Array.isArray(include)) {
    problems.push(source.problem(['include'], '`include` must be a list of Compose file paths (or of mappings with `path`, `project_directory`, `env_file`)'));
    return [];
  }
  const entries: IncludeEntry[] = [];
  for (const [i, item] of include.entries()) {
    const at: JsonPath = ['include', i];
    const entry = longEntry(item, at, (path, message, which = 'value') => {
      problems.push(source.problem(path, message, which));
      return undefined;
    });
    if (entry) entries.push(entry);
  }
  return entries;
}

function longEntry(item: unknown, at: JsonPath, bad: (path: JsonPath, message: string, which?: 'key' | 'value') => undefined): IncludeEntry | undefined {
  if (typeof item === 'string') return { at, paths: [item], pathAt: () => at, envFileAt: () => at };
  if (!isRecord(item)) return bad(at, 'an `include` entry is a path, or a mapping with `path` (and optionally `project_directory`, `env_file`)');
  const unknown = Object.keys(item).find((k) => !KEYS.has(k));
  if (unknown !== undefined) return bad([...at, unknown], `unknown key \`${unknown}\` in an \`include\` entry: it takes path, project_directory and env_file`, 'key');
  const paths = stringList(item.path);
  if (!paths || paths.length === 0) return bad([...at, 'path'], '`path` of an `include` entry must be a file path or a non-empty list of them');
  if (item.project_directory !== undefined && typeof item.project_directory !== 'string') return bad([...at, 'project_directory'], '`project_directory` must be a directory path');
  const envFiles = item.env_file === undefined ? undefined : stringList(item.env_file);
  if (item.env_file !== undefined && !envFiles) return bad([...at, 'env_file'], '`env_file` must be a file path or a list of them');
  const listed = (key: string, value: unknown) => (index: number): JsonPath => (Array.isArray(value) ? [...at, key, index] : [...at, key]);
  return {
    at,
    paths,
    pathAt: listed('path', item.path),
    ...(typeof item.project_directory === 'string' ? { projectDirectory: item.project_directory } : {}),
    ...(envFiles ? { envFiles } : {}),
    envFileAt: listed('env_file', item.env_file),
  };
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}
