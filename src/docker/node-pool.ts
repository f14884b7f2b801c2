// One client per declared node, kept across reconciles (nodes come from Git, so the pool
// follows the cluster file: a changed endpoint gets a new client). Observation is one
// container list per node per cycle; capacity from `docker info` is fetched when a node is
// first seen or comes back, not every cycle.
import type { NodeSpec } from '../manifests/model.js';
import type { DockerNode, NodeFacts, ObservedNode, ObservedState } from './types.js';

export type NodeFactory = (spec: NodeSpec) => DockerNode;

interface Entry {
  key: string;
  node: DockerNode;
  facts?: NodeFacts;
  wasUp: boolean;
  downSince?: number;
}

export class NodePool {
  private entries = new Map<string, Entry>();

  constructor(private readonly factory: NodeFactory, private readonly now: () => number = Date.now) {}

  /** Aligns the pool with the nodes a revision declares. */
  sync(specs: readonly NodeSpec[]): void {
    const wanted = new Set<string>();
    for (const spec of specs) {
      wanted.add(spec.name);
      const key = JSON.stringify([spec.endpoint, spec.tls ?? null]);
      const existing = this.entries.get(spec.name);
      if (!existing || existing.key !== key) this.entries.set(spec.name, { key, node: this.factory(spec), wasUp: false });
    }
    for (const name of [...this.entries.keys()]) if (!wanted.has(name)) this.entries.delete(name);
  }

  get(name: string): DockerNode {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`node ${name} is not declared in the cluster`);
    return entry.node;
  }

  nodes(): DockerNode[] {
    return [...this.entries.values()].map((e) => e.node);
  }

  /** When a node was first seen down in its current outage (for the reschedule grace period). */
  downSince(name: string): number | undefined {
    return this.entries.get(name)?.downSince;
  }

  /** Observes every node in parallel; a node that fails is marked down, never fatal. */
  async observe(): Promise<ObservedState> {
    const nodes = await Promise.all([...this.entries.entries()].map(([name, entry]) => this.observeOne(name, entry)));
    return { nodes };
  }

  private async observeOne(name: string, entry: Entry): Promise<ObservedNode> {
    try {
      if (!entry.wasUp || !entry.facts) entry.facts = await entry.node.info();
      const containers = await entry.node.listContainers();
      entry.wasUp = true;
      delete entry.downSince;
      return { name, up: true, facts: entry.facts, containers };
    } catch (err) {
      entry.wasUp = false;
      entry.downSince ??= this.now();
      return { name, up: false, error: (err as Error).message, ...(entry.facts ? { facts: entry.facts } : {}), containers: [] };
    }
  }
}
