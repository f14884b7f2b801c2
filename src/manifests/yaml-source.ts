// One manifest file parsed with positions kept, so any later check (schema, semantics)
// can turn a JSON path back into file:line:col. Guards against hostile input: a size cap,
// duplicate keys rejected, and alias expansion bounded (the "billion laughs" bomb).
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ManifestProblem } from './problems.js';
import { toPointer } from './problems.js';

export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Far above what a real Compose file uses, far below what a resource-exhaustion bomb needs. */
const MAX_ALIAS_COUNT = 200;

export type JsonPath = ReadonlyArray<string | number>;

export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  /** The plain value (after any AST edits such as interpolation, call `refresh`). */
  value: unknown;
  /** Position of the value at `path`, or of its key when `at` is 'key'; falls back to the nearest ancestor. */
  locate(path: JsonPath, at?: 'key' | 'value'): { line: number; col: number };
  locateOffset(offset: number): { line: number; col: number };
  problem(path: JsonPath, message: string, at?: 'key' | 'value'): ManifestProblem;
  /** Recomputes `value` from the AST. Returns problems (alias bomb) instead of throwing. */
  refresh(): ManifestProblem[];
}

export function parseYamlSource(file: string, text: string, problems: ManifestProblem[]): YamlSource | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_MANIFEST_BYTES) {
    problems.push({
      file, line: 1, col: 1, pointer: '',
      message: `file is ${bytes} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit for a manifest; split it into smaller stacks`,
    });
    return undefined;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const pos = at(err.pos[0]);
      const key = err.code === 'DUPLICATE_KEY' ? /^\s*("[^"]*"|'[^']*'|[^:\s]+)/.exec(text.slice(err.pos[0]))?.[1] : undefined;
      problems.push({ file, ...pos, pointer: '', message: describeYamlError(err.code, err.message, key) });
    }
    return undefined;
  }

  const source: YamlSource = {
    file,
    doc,
    value: undefined,
    locate(path, which = 'value') {
      return at(findOffset(doc, path, which));
    },
    locateOffset: at,
    problem(path, message, which = 'value') {
      return { file, ...this.locate(path, which), pointer: toPointer(path), message };
    },
    refresh() {
      try {
        source.value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
        return [];
      } catch (err) {
        const message = (err as Error).message;
        if (/alias/i.test(message)) {
          return [{ file, line: 1, col: 1, pointer: '', message: `YAML aliases expand too far (over ${MAX_ALIAS_COUNT} references); this looks like an alias bomb and is refused` }];
        }
        return [{ file, line: 1, col: 1, pointer: '', message: `YAML could not be read: ${message}` }];
      }
    },
  };
  const refreshProblems = source.refresh();
  if (refreshProblems.length > 0) {
    problems.push(...refreshProblems);
    return undefined;
  }
  return source;
}

function describeYamlError(code: string, message: string, key: string | undefined): string {
  const firstLine = message.split('\n')[0] ?? message;
  const text = firstLine.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return `duplicate key ${key ? `"${key}" ` : ''}in the same mapping; YAML would silently keep only one, so remove or rename the other`;
  return `YAML syntax error: ${text}`;
}

/** Walks the AST along `path` and returns the start offset of the deepest node found. */
function findOffset(doc: Document.Parsed, path: JsonPath, which: 'key' | 'value'): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return offset;
      if (last && which === 'key') return rangeStart(pair.key) ?? offset;
      node = pair.value;
      offset = rangeStart(node) ?? rangeStart(pair.key) ?? offset;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) return offset;
      node = item;
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
