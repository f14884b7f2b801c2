// Applies `${VAR}` interpolation to every scalar value of a parsed Compose file, in place in
// the AST so positions survive for later errors. Keys are never interpolated (as Compose).
// A plain (unquoted) scalar is re-read as YAML after substitution, so `replicas: ${N:-3}`
// is the number 3, while a quoted scalar stays a string.
import { isScalar, parse, visit, type Scalar } from 'yaml';
import type { ManifestProblem } from './problems.js';
import { toPointer } from './problems.js';
import { interpolate } from './interpolate.js';
import type { YamlSource } from './yaml-source.js';

export function interpolateDocument(source: YamlSource, vars: ReadonlyMap<string, string>, problems: ManifestProblem[]): void {
  let changed = false;
  visit(source.doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const result = interpolate(node.value, vars);
      if (!result.ok) {
        const pos = source.locateOffset(node.range?.[0] ?? 0);
        problems.push({ file: source.file, ...pos, pointer: toPointer(pathOf(path, node)), message: result.message });
        return;
      }
      node.value = node.type === 'PLAIN' ? reparsePlain(result.value) : result.value;
      changed = true;
    },
  });
  if (changed) problems.push(...source.refresh());
}

function reparsePlain(text: string): unknown {
  try {
    const value: unknown = parse(text);
    return value !== null && typeof value === 'object' ? text : value ?? text;
  } catch {
    return text;
  }
}

/** Rebuilds the JSON path of a scalar from yaml's visitor ancestry (used only for pointers in messages). */
function pathOf(ancestry: readonly unknown[], node: Scalar): Array<string | number> {
  const out: Array<string | number> = [];
  const chain = [...ancestry, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i] as { items?: unknown[]; key?: unknown };
    const child = chain[i + 1];
    if (Array.isArray(parent.items)) {
      const idx = parent.items.indexOf(child);
      const item = parent.items[idx] as { key?: unknown } | undefined;
      if (item && 'key' in item && isScalar(item.key)) out.push(String(item.key.value));
      else if (idx >= 0 && !(item && 'key' in item)) out.push(idx);
    }
  }
  return out;
}
