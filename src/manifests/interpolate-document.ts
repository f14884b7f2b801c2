// Applies `${VAR}` interpolation to every scalar value of a parsed Compose file, in place in
// the AST so positions survive for later errors. Keys are never interpolated (as Compose).
// A plain (unquoted) scalar is re-typed by YAML's own rules after substitution, so
// `replicas: ${N:-3}` is the number 3, while a quoted scalar stays a string. The caller
// builds the plain value afterwards (once per file).
import { isMap, isPair, isScalar, isSeq, type Document, type Scalar } from 'yaml';
import type { ManifestProblem } from './problems.js';
import { toPointer } from './problems.js';
import { interpolate } from './interpolate.js';
import { isMergeKey } from './yaml-locate.js';
import type { YamlSource } from './yaml-source.js';

export function interpolateDocument(source: YamlSource, vars: ReadonlyMap<string, string>, problems: ManifestProblem[]): void {
  const path: Array<string | number> = [];
  // A hand-written walk rather than yaml's `visit`: it tracks the JSON path as it goes
  // (for pointers) and skips the per-node bookkeeping, which matters on large repos.
  const walk = (node: unknown): void => {
    if (isScalar(node)) {
      if (typeof node.value === 'string' && node.value.includes('$')) substitute(source, node as Scalar<string>, vars, path, problems);
    } else if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        path.push(isMergeKey(pair.key) ? '<<' : isScalar(pair.key) ? String(pair.key.value) : '?');
        walk(pair.value);
        path.pop();
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        path.push(i);
        walk(item);
        path.pop();
      });
    }
  };
  walk(source.doc.contents);
}

function substitute(source: YamlSource, node: Scalar<string>, vars: ReadonlyMap<string, string>, path: ReadonlyArray<string | number>, problems: ManifestProblem[]): void {
  const result = interpolate(node.value, vars);
  if (!result.ok) {
    problems.push({ file: source.file, ...source.locateOffset(referenceOffset(source.text, node, result.index)), pointer: toPointer(path), message: result.message });
    return;
  }
  node.value = node.type === 'PLAIN' ? (retype(source.doc, result.value) as string) : result.value;
}

/**
 * Where the failing `${...}` reference is written in the file: found by its text inside
 * the scalar's source (escapes and folding can shift it), else the scalar's start.
 */
function referenceOffset(text: string, node: Scalar<string>, index: number): number {
  const start = node.range?.[0] ?? 0;
  const end = node.range?.[1] ?? start;
  const reference = /^\$(\{[^}\n]*\}?|[A-Za-z_][A-Za-z0-9_]*)?/.exec(node.value.slice(index))?.[0] ?? '$';
  const at = text.slice(start, end).indexOf(reference);
  return at < 0 ? start : start + at;
}

/** The value YAML would have given the substituted text had it been written literally. */
function retype(doc: Document.Parsed, text: string): unknown {
  for (const tag of doc.schema.tags) {
    if (tag.default !== true || !('test' in tag) || !tag.test?.test(text) || tag.collection) continue;
    let failed = false;
    const resolved = tag.resolve(text, () => (failed = true), {}) as unknown;
    const value = isScalar(resolved) ? resolved.value : resolved;
    // An empty substitution stays an empty string (not null), as in Compose.
    return failed || value === null || value === undefined ? text : value;
  }
  return text;
}
