// Which container holds a name on a node (Docker names are unique per node), asked for the
// name of every create and replace of a plan. Only the names those actions want are looked
// for, in one pass over a node's containers: a map of every container's name per node cost a
// large fleet's plan more memory than anything else it built for the actions.
import type { ObservedContainer } from '../../docker/types.js';
import type { ObservedIndex } from './observed-index.js';

export class NameHolders {
  private readonly wanted = new Map<string, Set<string>>();
  private readonly found = new Map<string, Map<string, ObservedContainer>>();

  constructor(private readonly index: ObservedIndex) {}

  /** Declares a name that `holder` will be asked for on `node` (best all before the first question: one pass per node). */
  want(node: string, name: string): void {
    let names = this.wanted.get(node);
    if (!names) this.wanted.set(node, (names = new Set()));
    if (names.has(name)) return;
    names.add(name);
    // Declared after the node was looked through: looked for on its own.
    const found = this.found.get(node);
    if (found) this.collect(node, new Set([name]), found);
  }

  /** The container on `node` named `name` (the last one Docker lists, should it list two). */
  holder(node: string, name: string): ObservedContainer | undefined {
    let wanted = this.wanted.get(node);
    if (!wanted) this.wanted.set(node, (wanted = new Set()));
    let names = this.found.get(node);
    if (!names) {
      names = new Map();
      this.collect(node, wanted, names);
      this.found.set(node, names);
    }
    if (!wanted.has(name)) {
      // Not declared beforehand: looked for on its own, so that the answer is right all the same.
      this.collect(node, new Set([name]), names);
      wanted.add(name);
    }
    return names.get(name);
  }

  private collect(node: string, wanted: ReadonlySet<string>, into: Map<string, ObservedContainer>): void {
    if (wanted.size === 0) return;
    // The node an observation came from is authoritative, whatever the container says.
    for (const c of this.index.nodes.get(node)?.containers ?? []) if (wanted.has(c.name)) into.set(c.name, c.node === node ? c : { ...c, node });
  }
}
