// `extends` and `include`, resolved inside the config repository at the commit being
// loaded, before anything else looks at the stack: the result is one Compose document (a
// YamlSource whose positions point into the files each value came from), so validation,
// normalizing and planning never know there were several files. Files are read through
// the repo reader, so a symbolic link or a path out of the repository is refused as for
// env_file; cycles are named; every error points at the `extends` or `include` entry that
// caused it.
import { posix } from 'node:path';
import type { ManifestProblem } from '../problems.js';
import type { RepoReader } from '../repo-reader.js';
import { repoPath } from '../repo-reader.js';
import { interpolateDocument } from '../interpolate-document.js';
import { parseYamlSource, type JsonPath, type YamlSource } from '../yaml-source.js';
import { OriginTree, type Located } from './origin-tree.js';
import { mergeDocument, mergeService } from './merge-service.js';
import { rebaseFileSection, rebaseService, type Rebase } from './rebase-paths.js';
import { mergedSource } from './merged-source.js';
import { includeEntries, type IncludeEntry } from './include-entries.js';
import { importDocument } from './import-document.js';

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Files one stack may pull in through `extends` and `include`; more is generated or a loop that escaped detection. */
export const MAX_REFERENCED_FILES = 32;

export interface ReferenceContext {
  reader: RepoReader;
  /** The stack's compose file, parsed and interpolated with the stack's variables. */
  root: YamlSource;
  /** The stack's variables (its `.env`): for the root file and the files its services extend. */
  vars: ReadonlyMap<string, string>;
  /** Reads an included project's env file (which may be encrypted) into variables. */
  readVars(path: string, content: Buffer): Promise<Map<string, string>>;
  problems: ManifestProblem[];
}

export interface ResolvedCompose {
  source: YamlSource;
  /** Every other file that went into it (for checks that walk whole files). */
  referenced: YamlSource[];
}

interface Project {
  id: number;
  vars: ReadonlyMap<string, string>;
  /** Where the project's relative paths start. */
  baseDir: string;
}

interface LoadedFile {
  path: string;
  source: YamlSource;
  raw: Raw;
  project: Project;
}

/** Where a reference was written: problems about what it names are reported there. */
interface Referrer {
  source: YamlSource;
  path: JsonPath;
}

/** The stack's document with every `extends` and `include` resolved; undefined after a problem. */
export async function resolveComposeReferences(ctx: ReferenceContext): Promise<ResolvedCompose | undefined> {
  const raw = ctx.root.value;
  if (!isRecord(raw) || !usesReferences(raw)) return { source: ctx.root, referenced: [] };
  const resolver = new Resolver(ctx);
  const before = ctx.problems.length;
  const doc = await resolver.document(resolver.rootFile(raw), [ctx.root.file], true);
  if (!doc || ctx.problems.length > before) return undefined;
  return { source: mergedSource(ctx.root, doc.value, doc.tree), referenced: resolver.referenced() };
}

function usesReferences(raw: Raw): boolean {
  if (raw.include !== undefined) return true;
  return isRecord(raw.services) && Object.values(raw.services).some((s) => isRecord(s) && s.extends !== undefined);
}

class Resolver {
  private readonly files = new Map<string, LoadedFile | undefined>();
  private readonly services = new Map<string, Located | undefined>();
  /** The `extends` chain being followed, for naming a cycle. */
  private readonly following: string[] = [];
  private projects = 0;
  private readonly stackDir: string;

  constructor(private readonly ctx: ReferenceContext) {
    this.stackDir = posix.dirname(ctx.root.file);
  }

  rootFile(raw: Raw): LoadedFile {
    const file: LoadedFile = { path: this.ctx.root.file, source: this.ctx.root, raw, project: { id: this.projects++, vars: this.ctx.vars, baseDir: this.stackDir } };
    this.files.set(fileKey(file.path, file.project), file);
    return file;
  }

  referenced(): YamlSource[] {
    return [...this.files.values()].flatMap((f) => (f && f.source !== this.ctx.root ? [f.source] : []));
  }

  private report(at: Referrer, message: string, which: 'key' | 'value' = 'value'): void {
    this.ctx.problems.push(at.source.problem(at.path, message, which));
  }

  /** A referenced path (relative to `fromDir`) as a repo path; undefined after reporting why not. */
  private repoFile(written: string, fromDir: string, at: Referrer, what: string): string | undefined {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(written) || /^(oci|git@)/.test(written)) {
      this.report(at, `${what} ${written} is not in the repository; Flotilla resolves ${what} only inside the config repository at the deployed commit, so copy the file into it`);
      return undefined;
    }
    const path = posix.isAbsolute(written) ? undefined : repoPath(posix.join(fromDir, written));
    if (path === undefined) this.report(at, `${what} ${written} is not inside the repository; it is read from the commit, relative to ${fromDir === '.' ? 'the repository root' : `${fromDir}/`}`);
    return path;
  }

  private async load(path: string, project: Project, at: Referrer): Promise<LoadedFile | undefined> {
    const key = fileKey(path, project);
    if (this.files.has(key)) return this.files.get(key);
    if (this.files.size >= MAX_REFERENCED_FILES) {
      this.report(at, `this stack pulls in more than ${MAX_REFERENCED_FILES} files through extends and include; merge some of them`);
      return undefined;
    }
    this.files.set(key, undefined);
    const content = await this.ctx.reader.readFile(path);
    if (content === undefined) {
      this.report(at, `${path} does not exist at this revision (paths are relative to the file that names them)`);
      return undefined;
    }
    const before = this.ctx.problems.length;
    const source = parseYamlSource(path, content, this.ctx.problems, (parsed) => interpolateDocument(parsed, project.vars, this.ctx.problems));
    if (!source || this.ctx.problems.length > before) return undefined;
    if (!isRecord(source.value) || (source.value.services !== undefined && !isRecord(source.value.services))) {
      this.ctx.problems.push(source.problem(isRecord(source.value) ? ['services'] : [], `${path} is not a Compose file: it needs a mapping of \`services\``));
      return undefined;
    }
    const file = { path, source, raw: source.value, project };
    this.files.set(key, file);
    return file;
  }

  /** One service with its `extends` chain merged in and its paths made relative to the stack. */
  async service(file: LoadedFile, name: string, at: Referrer): Promise<Located | undefined> {
    const key = `${fileKey(file.path, file.project)}#${name}`;
    const label = `${file.path} ${name}`;
    if (this.following.includes(label)) {
      this.report(at, `extends forms a cycle: ${[...this.following.slice(this.following.indexOf(label)), label].join(' -> ')}`, 'key');
      return undefined;
    }
    if (this.services.has(key)) return this.services.get(key);
    const services = (file.raw.services ?? {}) as Raw;
    if (!Object.prototype.hasOwnProperty.call(services, name)) {
      const known = Object.keys(services);
      this.report(at, `extends names the service "${name}", which ${file.path} does not define${known.length ? ` (it defines ${known.join(', ')})` : ''}`);
      return undefined;
    }
    const raw = services[name] ?? {};
    const here: Referrer = { source: file.source, path: ['services', name] };
    if (!isRecord(raw)) return { value: raw, tree: OriginTree.at(file.source, here.path) };
    const { extends: ext, ...rest } = raw;
    const own: Located = { value: rebaseService(rest, this.rebase(file.project.baseDir, here)), tree: OriginTree.at(file.source, here.path) };
    if (ext === undefined) {
      this.services.set(key, own);
      return own;
    }
    const extAt: Referrer = { source: file.source, path: [...here.path, 'extends'] };
    const target = this.extendsTarget(ext, extAt);
    let resolved: Located | undefined;
    if (target) {
      const baseFile = target.file === undefined ? file : await this.extendsFile(target.file, file, extAt);
      this.following.push(label);
      const base = baseFile && (await this.service(baseFile, target.service, extAt));
      this.following.pop();
      if (base) resolved = mergeService(base, own);
    }
    this.services.set(key, resolved);
    return resolved;
  }

  private extendsTarget(ext: unknown, at: Referrer): { service: string; file?: string } | undefined {
    if (typeof ext === 'string') return { service: ext };
    if (isRecord(ext) && typeof ext.service === 'string' && (ext.file === undefined || typeof ext.file === 'string')) {
      const unknown = Object.keys(ext).filter((k) => k !== 'service' && k !== 'file');
      if (unknown.length === 0) return { service: ext.service, ...(ext.file !== undefined ? { file: ext.file } : {}) };
      this.report({ source: at.source, path: [...at.path, unknown[0] as string] }, `unknown key \`${unknown[0]}\` in \`extends\`: it takes \`service\` and optionally \`file\``, 'key');
      return undefined;
    }
    this.report(at, '`extends` must be a service name, or a mapping with `service` (and optionally `file`, a Compose file of the repository)');
    return undefined;
  }

  private async extendsFile(written: string, from: LoadedFile, at: Referrer): Promise<LoadedFile | undefined> {
    const path = this.repoFile(written, from.project.baseDir, { source: at.source, path: [...at.path, 'file'] }, 'extends.file');
    if (path === undefined) return undefined;
    if (path === from.path) return from;
    // The file's own paths start at its directory; its variables are the referring project's.
    return this.load(path, { id: from.project.id, vars: from.project.vars, baseDir: posix.dirname(path) }, { source: at.source, path: [...at.path, 'file'] });
  }

  private rebase(from: string, at: Referrer): Rebase {
    return { from, to: this.stackDir, report: (path, message) => this.report({ source: at.source, path: [...at.path, ...path] }, message) };
  }

  /** A whole Compose document: its services resolved, its includes imported. */
  async document(file: LoadedFile, chain: readonly string[], root: boolean): Promise<Located | undefined> {
    const value: Raw = {};
    const tree = OriginTree.at(file.source, []);
    for (const [key, entry] of Object.entries(file.raw)) {
      if (key === 'include') continue;
      // An included project's name, version and x- anchors are its own business.
      if (!root && (key === 'name' || key === 'version' || key.startsWith('x-'))) continue;
      if (key === 'configs' || key === 'secrets') value[key] = rebaseFileSection(entry, this.rebase(file.project.baseDir, { source: file.source, path: [key] }));
      else if (key !== 'services') value[key] = entry;
    }
    const services: Raw = {};
    const servicesTree = tree.ensure('services');
    for (const name of Object.keys((file.raw.services ?? {}) as Raw)) {
      const service = await this.service(file, name, { source: file.source, path: ['services', name] });
      if (!service) continue;
      services[name] = service.value;
      servicesTree.set(name, service.tree);
    }
    if (file.raw.services !== undefined || !root) value.services = services;
    const doc: Located = { value, tree };
    for (const entry of includeEntries(file.raw.include, file.source, this.ctx.problems)) {
      const included = await this.include(entry, file, chain);
      if (included) importDocument(doc, included, { source: file.source, path: entry.at, file: entry.paths.join(', ') }, this.ctx.problems);
    }
    return doc;
  }

  private async include(entry: IncludeEntry, from: LoadedFile, chain: readonly string[]): Promise<Located | undefined> {
    const at: Referrer = { source: from.source, path: entry.at };
    const paths = entry.paths.map((p, i) => this.repoFile(p, from.project.baseDir, { source: from.source, path: entry.pathAt(i) }, 'include'));
    if (paths.some((p) => p === undefined)) return undefined;
    const files = paths as string[];
    const looped = files.find((p) => chain.includes(p));
    if (looped !== undefined) {
      this.report(at, `include forms a cycle: ${[...chain.slice(chain.indexOf(looped)), looped].join(' -> ')}`);
      return undefined;
    }
    const baseDir = entry.projectDirectory === undefined ? posix.dirname(files[0] as string) : this.repoFile(entry.projectDirectory, from.project.baseDir, { source: from.source, path: [...entry.at, 'project_directory'] }, 'project_directory');
    if (baseDir === undefined) return undefined;
    const vars = await this.includedVars(entry, from, baseDir);
    if (!vars) return undefined;
    const project: Project = { id: this.projects++, vars, baseDir };
    let merged: Located | undefined;
    for (const path of files) {
      const file = await this.load(path, project, at);
      const doc = file && (await this.document(file, [...chain, path], false));
      if (!doc) return undefined;
      merged = merged ? mergeDocument(merged, doc) : doc;
    }
    return merged;
  }

  /**
   * An included project's variables: its env files (default: `.env` of its project
   * directory) give defaults; the including project's variables win, as Compose lets the
   * environment it runs in win over an included project's `.env`.
   */
  private async includedVars(entry: IncludeEntry, from: LoadedFile, baseDir: string): Promise<ReadonlyMap<string, string> | undefined> {
    const explicit = entry.envFiles !== undefined;
    const written = entry.envFiles ?? [posix.join(baseDir === '.' ? '' : baseDir, '.env')];
    const vars = new Map<string, string>();
    for (const [i, envFile] of written.entries()) {
      const path = explicit ? this.repoFile(envFile, from.project.baseDir, { source: from.source, path: entry.envFileAt(i) }, 'env_file') : envFile;
      if (path === undefined) return undefined;
      const content = await this.ctx.reader.readFile(path);
      if (content === undefined) {
        if (!explicit) continue;
        this.report({ source: from.source, path: entry.envFileAt(i) }, `env_file ${path} does not exist at this revision`);
        return undefined;
      }
      for (const [k, v] of await this.ctx.readVars(path, content)) vars.set(k, v);
    }
    for (const [k, v] of from.project.vars) vars.set(k, v);
    return vars;
  }
}

function fileKey(path: string, project: Project): string {
  return `${project.id}:${path}`;
}
