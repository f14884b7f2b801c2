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

  /** Declares a name that `holder` will be asked for on `node`; all of them before the first question. */
  want(node: string, name: string): void {
    let names = this.wanted.get(node);
    if (!names) this.wanted.set(node, (names = new Set()));
    names.add(name);
  }

  /** The container on `node` named `name` (the last one Docker lists, should it list two). */
  holder(node: string, name: string): ObservedContainer | undefined {
    let names = this.found.get(node);
    if (!names) {
      names = new Map();
      this.collect(node, this.wanted.get(node) ?? new Set(), names);
      this.found.set(node, names);
    }
    if (!names.has(name) && this.wanted.get(node)?.has(name) !== true) {
      // Not declared beforehand: looked for on its own, so that the answer is right all the same.
      this.collect(node, new Set([name]), names);
      (this.wanted.get(node) ?? this.wanted.set(node, new Set()).get(node))?.add(name);
    }
    return names.get(name);
  }

  private collect(node: string, wanted: ReadonlySet<string>, into: Map<string, ObservedContainer>): void {
    if (wanted.size === 0) return;
    // The node an observation came from is authoritative, whatever the container says.
    for (const c of this.index.nodes.get(node)?.containers ?? []) if (wanted.has(c.name)) into.set(c.name, c.node === node ? c : { ...c, node });
  }
}
