// Bounds what YAML aliases can do before anything walks the data. `toJS` itself shares
// aliased objects, so the danger is every later tree walk (schema validation,
// normalization): a "billion laughs" file of a few hundred bytes expands to billions of
// nodes. This pass counts the expanded size in one linear walk of the AST, with the size
// of each anchor memoized, and refuses a document whose aliases add more than
// MAX_ALIAS_EXPANSION nodes. It also catches aliases with no anchor and aliases that
// point into themselves (a cycle), each at the alias's own position.
import { isAlias, isMap, isPair, isSeq, type Document } from 'yaml';
import type { PositionedMessage } from './yaml-errors.js';

/** Far above what anchors and merge keys add to a real Compose file (each copy counts). */
export const MAX_ALIAS_EXPANSION = 250_000;

class AliasProblem extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

export function checkAliases(doc: Document.Parsed): PositionedMessage | undefined {
  // Anchor name -> expanded size of the node it marks; -1 while that node is being walked.
  const anchors = new Map<string, number>();
  let added = 0;
  const size = (node: unknown): number => {
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      const known = anchors.get(node.source);
      if (known === undefined) throw new AliasProblem(offset, `alias *${node.source} has no anchor &${node.source} before it`);
      if (known < 0) throw new AliasProblem(offset, `alias *${node.source} points into the node that carries &${node.source}, which makes the data loop forever; a manifest must be a tree`);
      added += known;
      if (added > MAX_ALIAS_EXPANSION) {
        throw new AliasProblem(offset, `YAML aliases expand this document by more than ${MAX_ALIAS_EXPANSION.toLocaleString('en')} nodes (by alias *${node.source} here); this looks like an alias bomb ("billion laughs") and is refused`);
      }
      return known;
    }
    const anchor = (node as { anchor?: string } | null)?.anchor;
    if (anchor) anchors.set(anchor, -1);
    let total = 1;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) total += isPair(item) ? size(item.key) + size(item.value) : size(item);
    }
    if (anchor) anchors.set(anchor, total);
    return total;
  };
  try {
    size(doc.contents);
    return undefined;
  } catch (err) {
    if (err instanceof AliasProblem) return { offset: err.offset, message: err.message };
    if (err instanceof RangeError) return { offset: 0, message: 'the document nests too deeply to be read; a manifest never needs that many levels' };
    throw err;
  }
}
