// One manifest file parsed with positions kept, so any later check (schema, semantics)
// can turn a JSON path back into file:line:col. Guards against hostile input: a size cap
// checked before decoding, duplicate keys rejected, unknown tags rejected (they would
// silently turn into strings), and alias expansion bounded (the "billion laughs" bomb).
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { ManifestProblem } from './problems.js';
import { toPointer } from './problems.js';
import { decodeUtf8 } from './utf8.js';
import { checkAliases } from './yaml-aliases.js';
import { findDuplicateKeys } from './yaml-duplicates.js';
import { describeYamlErrors, describeYamlWarnings } from './yaml-errors.js';
import { findOffset, type JsonPath } from './yaml-locate.js';

export type { JsonPath } from './yaml-locate.js';

export const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface YamlSource {
  file: string;
  /** The text as read, for positions inside a scalar (e.g. of one `${VAR}`). */
  text: string;
  doc: Document.Parsed;
  /** The plain value (after any AST edits such as interpolation, call `refresh`). */
  value: unknown;
  /** Position of the value at `path`, or of its key when `at` is 'key'; falls back to the nearest ancestor. */
  locate(path: JsonPath, at?: 'key' | 'value'): { line: number; col: number };
  locateOffset(offset: number): { line: number; col: number };
  problem(path: JsonPath, message: string, at?: 'key' | 'value'): ManifestProblem;
  /** The scalar at `path` as written in the file (`0440` stays `0440`), or undefined. */
  writtenScalar(path: JsonPath): string | undefined;
  /** Recomputes `value` from the AST. */
  refresh(): ManifestProblem[];
}

/** The size check every manifest read goes through, before a byte of it is decoded. */
export function oversize(file: string, bytes: number): ManifestProblem | undefined {
  if (bytes <= MAX_MANIFEST_BYTES) return undefined;
  return {
    file, line: 1, col: 1, pointer: '',
    message: `file is ${bytes} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit for a manifest; split it into smaller stacks`,
  };
}

/**
 * Parses one manifest. `prepare` may edit the AST (interpolation) before the plain value
 * is built, so that happens once per file.
 */
export function parseYamlSource(file: string, content: string | Uint8Array, problems: ManifestProblem[], prepare?: (source: YamlSource) => void): YamlSource | undefined {
  const tooBig = oversize(file, typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.byteLength);
  if (tooBig) {
    problems.push(tooBig);
    return undefined;
  }
  const text = typeof content === 'string' ? content : decodeUtf8(file, content, problems);
  if (text === undefined) return undefined;
  const lineCounter = new LineCounter();
  // uniqueKeys is quadratic per mapping; findDuplicateKeys does the same check linearly.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, strict: true, merge: true });
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
  const report = (found: Array<{ offset: number; message: string }>) => {
    for (const { offset, message } of found) problems.push({ file, ...at(offset), pointer: '', message });
    return found.length > 0;
  };
  if (report(describeYamlErrors(doc, text, doc.errors, (offset) => lineCounter.linePos(offset).line))) return undefined;
  if (report(findDuplicateKeys(doc, text))) return undefined;
  if (report(describeYamlWarnings(doc.warnings))) return undefined;
  const aliasProblem = checkAliases(doc);
  if (aliasProblem && report([aliasProblem])) return undefined;

  const source: YamlSource = {
    file,
    text,
    doc,
    value: undefined,
    locate(path, which = 'value') {
      return at(findOffset(doc, path, which));
    },
    locateOffset: at,
    problem(path, message, which = 'value') {
      return { file, ...this.locate(path, which), pointer: toPointer(path), message };
    },
    writtenScalar(path) {
      const node = doc.getIn(path, true) as { source?: unknown } | undefined;
      return typeof node?.source === 'string' ? node.source : undefined;
    },
    refresh() {
      try {
        // checkAliases has bounded the expansion already; yaml's own alias counter would
        // only refuse legitimate files that reuse one anchor many times.
        source.value = doc.toJS({ maxAliasCount: -1 });
        return [];
      } catch (err) {
        return [{ file, line: 1, col: 1, pointer: '', message: `YAML could not be read: ${(err as Error).message}` }];
      }
    },
  };
  prepare?.(source);
  const refreshProblems = source.refresh();
  if (refreshProblems.length > 0) {
    problems.push(...refreshProblems);
    return undefined;
  }
  return source;
}
