// The top-level `configs:` and `secrets:` of a Compose file: where each one's bytes come from
// (`file:` in the repo, `content:` for configs, `environment:` from the stack's .env), read
// once per stack and checked against the stack's size budget.
import type { FileContent } from './model.js';
import type { ManifestProblem } from './problems.js';
import { SecretBytes } from './secret-bytes.js';
import { MAX_STACK_FILE_BYTES, type StackFiles } from './stack-files.js';
import type { JsonPath, YamlSource } from './yaml-source.js';

type Raw = Record<string, unknown>;

export interface StackFileContext {
  source: YamlSource;
  files: StackFiles;
  /** A path written in the Compose file as a repo path; undefined when it leaves the repository. */
  resolve(path: string): string | undefined;
  vars: ReadonlyMap<string, string>;
  /** HMAC key for secret digests (see file-digest.ts). */
  digestKey: Buffer;
  problems: ManifestProblem[];
}

export interface DeclaredFile {
  kind: 'config' | 'secret';
  content: FileContent;
  bytes: Buffer;
}

/** Declared configs and secrets by name (one map each), plus the stack's running byte count. */
export interface DeclaredFiles {
  configs: ReadonlyMap<string, DeclaredFile>;
  secrets: ReadonlyMap<string, DeclaredFile>;
  budget: { used: number; counted: Set<string>; reported: boolean };
}

export function declareFiles(raw: Raw, ctx: StackFileContext): DeclaredFiles {
  const budget = { used: 0, counted: new Set<string>(), reported: false };
  const declared: DeclaredFiles = { configs: new Map(), secrets: new Map(), budget };
  for (const kind of ['config', 'secret'] as const) {
    const key = kind === 'config' ? 'configs' : 'secrets';
    const out = declared[key] as Map<string, DeclaredFile>;
    for (const [name, def] of Object.entries((raw[key] as Record<string, Raw | null> | undefined) ?? {})) {
      const file = declaredBytes(kind, name, def ?? {}, [key, name], ctx);
      if (!file) continue;
      out.set(name, file);
      chargeBudget(declared, `${kind}\0${name}`, file.bytes.byteLength, [key, name], ctx);
    }
  }
  return declared;
}

function declaredBytes(kind: 'config' | 'secret', name: string, def: Raw, at: JsonPath, ctx: StackFileContext): DeclaredFile | undefined {
  const report = (path: JsonPath, message: string, which: 'key' | 'value' = 'value') => ctx.problems.push(ctx.source.problem(path, message, which));
  const sources = (['file', 'content', 'environment'] as const).filter((k) => def[k] !== undefined);
  if (sources.length !== 1) {
    const ways = kind === 'config' ? '`file:`, `content:` or `environment:`' : '`file:` or `environment:`';
    report(at, `${kind} "${name}" needs exactly one of ${ways}${sources.length > 1 ? `, not ${sources.join(' and ')}` : ''}`, 'key');
    return undefined;
  }
  const wrap = (bytes: Buffer): DeclaredFile => ({ kind, bytes, content: kind === 'secret' ? new SecretBytes(bytes) : { base64: bytes.toString('base64') } });
  if (def.content !== undefined) return wrap(Buffer.from(String(def.content), 'utf8'));
  if (def.environment !== undefined) {
    const variable = String(def.environment);
    const value = ctx.vars.get(variable);
    if (value === undefined) {
      report([...at, 'environment'], `${kind} "${name}" reads variable ${variable}, which the stack's .env does not set; Flotilla reads values from the stack's .env only, never from its own environment`);
      return undefined;
    }
    return wrap(Buffer.from(value, 'utf8'));
  }
  const written = String(def.file);
  const path = ctx.resolve(written);
  if (path === undefined) {
    report([...at, 'file'], `${kind} file ${written} is not inside the repository; ${kind} files are read from the commit, relative to the compose file`);
    return undefined;
  }
  if (kind === 'secret') {
    const secret = ctx.files.secrets.get(path);
    if (!secret) {
      report([...at, 'file'], `secret file ${written} does not exist in the repository (looked for ${path})`);
      return undefined;
    }
    return { kind, bytes: secret.reveal(), content: secret };
  }
  const tree = ctx.files.trees.get(path);
  if (tree?.kind !== 'file') {
    report([...at, 'file'], tree ? `config file ${written} is a folder; a config is one file (bind-mount the folder with a relative path to deliver a whole folder)` : `config file ${written} does not exist in the repository (looked for ${path})`);
    return undefined;
  }
  return wrap(tree.bytes);
}

/** Counts one source's bytes once per stack; reports the first one that takes the stack over the cap. */
export function chargeBudget(declared: DeclaredFiles, key: string, bytes: number, at: JsonPath, ctx: StackFileContext): void {
  const budget = declared.budget;
  if (budget.counted.has(key)) return;
  budget.counted.add(key);
  budget.used += bytes;
  if (budget.used <= MAX_STACK_FILE_BYTES || budget.reported) return;
  budget.reported = true;
  ctx.problems.push(ctx.source.problem(at, `the configs, secrets and repo files this stack delivers add up to more than ${MAX_STACK_FILE_BYTES / 1024 / 1024} MiB, the limit per stack (${budget.used} bytes so far); keep large data in a volume or in the image`));
}
