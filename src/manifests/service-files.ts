// A service's `configs:`, `secrets:` and relative bind mounts as the files delivered into
// each of its containers: where each goes, who owns it, its mode, and its digest. Defaults
// are Compose's: a config at /<name>, a secret at /run/secrets/<name>, mode 0444, root.
import { posix } from 'node:path';
import type { DeliveredEntry, DeliveredFile } from './model.js';
import { contentBytes } from './secret-bytes.js';
import { chargeBudget, type DeclaredFiles, type StackFileContext } from './declared-files.js';
import { fileDigest } from './file-digest.js';
import { relativeBind } from './repo-binds.js';
import { MAX_FOLDER_FILES } from './stack-files.js';
import type { JsonPath } from './yaml-source.js';

type Raw = Record<string, unknown>;

export const SECRETS_DIR = '/run/secrets';
const DEFAULT_MODE = 0o444;
const BIND_FILE_MODE = 0o444;

export interface ServiceFileContext extends StackFileContext {
  declared: DeclaredFiles;
}

export function serviceFiles(service: string, raw: Raw, ctx: ServiceFileContext): DeliveredFile[] | undefined {
  const base: JsonPath = ['services', service];
  const report = (path: JsonPath, message: string) => ctx.problems.push(ctx.source.problem(path, message));
  const out: DeliveredFile[] = [];
  for (const kind of ['config', 'secret'] as const) {
    const key = kind === 'config' ? 'configs' : 'secrets';
    ((raw[key] as unknown[] | undefined) ?? []).forEach((entry, i) => {
      const at: JsonPath = [...base, key, i];
      const long = typeof entry === 'string' ? { source: entry } : (entry as Raw);
      const name = String(long.source);
      const declared = (kind === 'config' ? ctx.declared.configs : ctx.declared.secrets).get(name);
      if (!declared) {
        // A declaration that failed to load was reported at the declaration already.
        if (!ctx.source.value || !hasDeclaration(ctx.source.value as Raw, key, name)) {
          const known = [...(kind === 'config' ? ctx.declared.configs : ctx.declared.secrets).keys()];
          report(typeof entry === 'string' ? at : [...at, 'source'], `${kind} "${name}" is not declared under the top-level \`${key}:\`${known.length ? ` (declared: ${known.join(', ')})` : ''}`);
        }
        return;
      }
      const target = targetOf(kind, name, long.target, [...at, 'target'], report);
      const uid = idOf(long.uid, [...at, 'uid'], report);
      const gid = idOf(long.gid, [...at, 'gid'], report);
      const mode = modeOf(long.mode, [...at, 'mode'], ctx, report);
      if (target === undefined || uid === undefined || gid === undefined || mode === undefined) return;
      const entries: DeliveredEntry[] = [{ path: '', mode, content: declared.content }];
      out.push(delivered(kind, name, target, false, uid, gid, mode, entries, ctx));
    });
  }
  ((raw.volumes as unknown[] | undefined) ?? []).forEach((entry, i) => {
    const bind = relativeBind(entry);
    if (!bind) return;
    const file = bindFile(bind.source, bind.target, [...base, 'volumes', i], ctx, report);
    if (file) out.push(file);
  });
  checkTargets(out, base, raw, report);
  return out.length > 0 ? out : undefined;
}

function bindFile(source: string, target: string, at: JsonPath, ctx: ServiceFileContext, report: (path: JsonPath, message: string) => void): DeliveredFile | undefined {
  const path = ctx.resolve(source);
  if (path === undefined) {
    report(at, `bind mount source ${source} leaves the repository; a relative bind mount delivers a file or folder of the config repo, so it must stay inside it`);
    return undefined;
  }
  if (!target.startsWith('/')) {
    report(at, `bind mount target ${JSON.stringify(target)} must be an absolute path in the container`);
    return undefined;
  }
  const tree = ctx.files.trees.get(path);
  if (!tree) {
    report(at, `bind mount source ${source} does not exist in the repository (looked for ${path}); relative bind mounts deliver files of the config repo at the deployed commit`);
    return undefined;
  }
  if (tree.kind === 'folder' && tree.truncated && tree.files.length > MAX_FOLDER_FILES) {
    report(at, `folder ${source} has more than ${MAX_FOLDER_FILES} files, the limit for a bind-mounted repo folder; deliver fewer files or build them into the image`);
    return undefined;
  }
  const size = tree.kind === 'file' ? tree.bytes.byteLength : tree.bytes;
  chargeBudget(ctx.declared, `bind\0${path}`, size, at, ctx);
  const files = tree.kind === 'file' ? [{ path: '', bytes: tree.bytes }] : tree.files;
  const entries = files.map((f) => ({ path: f.path, mode: BIND_FILE_MODE, content: { base64: f.bytes.toString('base64') } }));
  return delivered('config', path, posix.normalize(target), tree.kind === 'folder', 0, 0, BIND_FILE_MODE, entries, ctx);
}

function delivered(kind: 'config' | 'secret', name: string, target: string, directory: boolean, uid: number, gid: number, mode: number, entries: DeliveredEntry[], ctx: StackFileContext): DeliveredFile {
  const digestEntries = entries.map((e) => ({ path: e.path, mode: e.mode, bytes: contentBytes(e.content) as Buffer }));
  const digest = fileDigest({ kind, target, uid, gid, mode, entries: digestEntries }, ctx.digestKey);
  return { kind, name, target, directory, uid, gid, mode, digest, entries };
}

function targetOf(kind: 'config' | 'secret', name: string, written: unknown, at: JsonPath, report: (path: JsonPath, message: string) => void): string | undefined {
  if (written === undefined) return kind === 'secret' ? `${SECRETS_DIR}/${name}` : `/${name}`;
  const target = String(written);
  if (target.startsWith('/')) return posix.normalize(target);
  if (kind === 'secret' && !target.split('/').includes('..')) return posix.join(SECRETS_DIR, target);
  report(at, kind === 'secret' ? `secret target ${JSON.stringify(target)} must be a file name under ${SECRETS_DIR} or an absolute path` : `config target ${JSON.stringify(target)} must be an absolute path in the container`);
  return undefined;
}

function idOf(written: unknown, at: JsonPath, report: (path: JsonPath, message: string) => void): number | undefined {
  if (written === undefined) return 0;
  const text = String(written);
  if (/^\d{1,10}$/.test(text) && Number(text) <= 0xffffffff) return Number(text);
  report(at, `${JSON.stringify(written)} is not a numeric user or group id; names cannot be resolved before the container exists, so write the number (e.g. "1000")`);
  return undefined;
}

/**
 * YAML 1.2 reads `0440` as four hundred and forty, while Compose (and the Compose docs'
 * examples) mean octal; the scalar as written decides, so `0440` and `0o440` are both 0o440.
 */
function modeOf(value: unknown, at: JsonPath, ctx: StackFileContext, report: (path: JsonPath, message: string) => void): number | undefined {
  if (value === undefined) return DEFAULT_MODE;
  const written = ctx.source.writtenScalar(at) ?? String(value);
  let mode: number | undefined;
  if (/^0o?[0-7]+$/.test(written)) mode = parseInt(written.replace(/^0o?/, '') || '0', 8);
  else if (/^\d+$/.test(written)) mode = Number(written);
  if (mode !== undefined && mode <= 0o777) return mode;
  report(at, `mode ${JSON.stringify(written)} is not a file mode such as 0440 (octal, at most 0777)`);
  return undefined;
}

function hasDeclaration(compose: Raw, key: string, name: string): boolean {
  const section = compose[key] as Record<string, unknown> | undefined;
  return section !== undefined && Object.prototype.hasOwnProperty.call(section, name);
}

function checkTargets(files: DeliveredFile[], base: JsonPath, raw: Raw, report: (path: JsonPath, message: string) => void): void {
  const seen = new Map<string, DeliveredFile>();
  for (const file of files) {
    const other = seen.get(file.target);
    if (other) report(base, `${describe(other)} and ${describe(file)} are both delivered at ${file.target}; give one a different target`);
    seen.set(file.target, file);
  }
  if (files.length > 0 && raw.read_only === true) {
    report([...base, 'read_only'], `configs, secrets and repo bind mounts are copied into the container before it starts, which Docker refuses for a read-only root filesystem; remove \`read_only: true\` or the files`);
  }
}

function describe(file: DeliveredFile): string {
  return `${file.kind} ${file.name}`;
}
