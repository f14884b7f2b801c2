// Maps a JSON path of the plain data back to a source offset in the YAML AST. Follows
// aliases and `<<` merge keys, so an error in a value that came from an anchor points at
// the anchor's text (the only place it can be fixed) rather than at the alias.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';

export type JsonPath = ReadonlyArray<string | number>;

/** Start offset of the deepest node found along `path` (of its key when `which` is 'key'). */
export function findOffset(doc: Document.Parsed, path: JsonPath, which: 'key' | 'value'): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    node = deref(doc, node);
    const seg = path[i] as string | number;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = findPair(doc, node, String(seg), 0);
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

export function isMergeKey(key: unknown): boolean {
  const value = isScalar(key) ? key.value : key;
  return value === '<<' || (typeof value === 'symbol' && value.description === '<<');
}

function deref(doc: Document.Parsed, node: unknown): unknown {
  // Aliases are checked to be acyclic before any lookup, but stay bounded regardless.
  for (let hops = 0; isAlias(node) && hops < 100; hops++) node = node.resolve(doc);
  return node;
}

/** A key's pair in `map`, else in the maps it merges with `<<` (explicit keys win, as in YAML). */
function findPair(doc: Document.Parsed, map: YAMLMap, key: string, depth: number): Pair | undefined {
  const pairs = map.items.filter(isPair);
  const direct = pairs.find((p) => isScalar(p.key) && !isMergeKey(p.key) && String(p.key.value) === key);
  if (direct || depth > 10) return direct;
  for (const merge of pairs.filter((p) => isMergeKey(p.key))) {
    const value = deref(doc, merge.value);
    const sources = isSeq(value) ? value.items.map((item) => deref(doc, item)) : [value];
    for (const source of sources) {
      const found = isMap(source) ? findPair(doc, source, key, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
