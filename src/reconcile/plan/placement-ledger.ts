// What has been placed on each node so far during one scheduling pass: replicas per service
// and per spread group, host ports, container names Flotilla may not take, and reserved
// CPU and memory against the node's capacity. `admit` says whether one more replica fits,
// and if not, why, in words a person can act on.
import type { ObservedContainer } from '../../docker/types.js';
import { LABEL } from '../../docker/labels.js';
import type { Catalog, CatalogService } from './catalog.js';
import { replicaName, serviceKey, serviceLabel } from './catalog.js';
import { formatHostPort, heldHostPorts, PortTable } from './host-ports.js';
import { cmp, type ObservedIndex } from './observed-index.js';
import { parsePlatform, platformMatches, type Platform } from '../../manifests/platform.js';

export type RejectionKind = 'constraints' | 'platform' | 'down' | 'max-per-node' | 'port' | 'name' | 'cpu' | 'memory';

export interface Rejection {
  node: string;
  kind: RejectionKind;
  /** Completes "node-a …": "has host port 80/tcp taken by …". */
  detail: string;
}

interface NodeLedger {
  ports: PortTable<string>;
  /** Names held by containers Flotilla never touches. */
  squatted: Map<string, string>;
  nanoCpus: number;
  memoryBytes: number;
  cpuCapacity?: number;
  memoryCapacity?: number;
  /** From `docker info`; absent when never observed (a platform is then not held against the node). */
  os?: string;
  arch?: string;
  load: number;
  /** Replicas placed here, per service by its `order` in the catalog: one array per node
   *  instead of a map per service, since every replica of every plan is counted here. */
  perService: Uint32Array;
}

export class PlacementLedger {
  private readonly nodes = new Map<string, NodeLedger>();
  /** Replicas per spread group (keyed by level and the label values down to that level), per service key; only for services with spread preferences. */
  private readonly groups = new Map<string, Map<string, number>>();

  constructor(private readonly catalog: Catalog, index: ObservedIndex, undeclaredStay: boolean) {
    for (const [name, observed] of index.nodes) {
      const ledger = this.emptyLedger();
      if (observed.facts) {
        ledger.cpuCapacity = observed.facts.cpus * 1e9;
        ledger.memoryCapacity = observed.facts.memoryBytes;
        if (observed.facts.os !== undefined) ledger.os = observed.facts.os;
        if (observed.facts.arch !== undefined) ledger.arch = observed.facts.arch;
      }
      for (const c of index.foreignByNode.get(name) ?? []) {
        const owner = foreignOwner(c);
        ledger.squatted.set(c.name, owner);
        for (const p of heldHostPorts(c.publishedPorts)) ledger.ports.add(p, owner);
      }
      this.nodes.set(name, ledger);
    }
    if (undeclaredStay) {
      // With prune off (or withheld), containers of services no longer declared keep running
      // and keep their ports; nothing else may be placed on those ports.
      const undeclared = index.managed.filter((c) => !catalog.byKey.has(serviceKey(c.labels[LABEL.stack] ?? '', c.labels[LABEL.service] ?? '')));
      // Sorted, so that the holder named in a message never depends on Docker's list order.
      for (const c of undeclared.sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id))) {
        const ledger = this.nodes.get(c.node);
        if (ledger) for (const p of heldHostPorts(c.publishedPorts)) ledger.ports.add(p, `container ${c.name} of a service no longer declared, which is not being pruned`);
      }
    }
  }

  /** Whether one more replica of `svc` (as `slot`) fits on `node`; constraints and availability are the caller's. */
  admit(node: string, svc: CatalogService, slot: string): Rejection | undefined {
    const ledger = this.nodeLedger(node);
    // First: no other change (fewer replicas, another port) makes a node of another platform fit.
    if (svc.spec.platform !== undefined && !platformMatches(wantedPlatform(svc.spec.platform), ledger)) {
      return { node, kind: 'platform', detail: `is ${ledger.os ?? '?'}/${ledger.arch ?? '?'} (docker info), and ${serviceLabel(svc)} asks for platform ${svc.spec.platform}` };
    }
    const max = svc.spec.deploy.placement.maxReplicasPerNode;
    const count = this.serviceCount(svc, node);
    if (max !== undefined && count >= max) {
      return { node, kind: 'max-per-node', detail: `already runs ${count} replica(s) of ${serviceLabel(svc)} (max_replicas_per_node ${max})` };
    }
    if (ledger.squatted.size > 0) {
      const name = replicaName(svc, slot);
      const squatter = ledger.squatted.get(name);
      if (squatter !== undefined) return { node, kind: 'name', detail: `has the name ${name} held by ${squatter}` };
    }
    for (const p of svc.ports) {
      const holder = ledger.ports.holder(p);
      if (holder !== undefined) return { node, kind: 'port', detail: `has host port ${formatHostPort(p)} taken by ${holder}` };
    }
    if (ledger.cpuCapacity !== undefined && svc.nanoCpus > 0 && ledger.nanoCpus + svc.nanoCpus > ledger.cpuCapacity) {
      return { node, kind: 'cpu', detail: `has ${cpus(ledger.cpuCapacity - ledger.nanoCpus)} of ${cpus(ledger.cpuCapacity)} CPUs unreserved, and a replica reserves ${cpus(svc.nanoCpus)}` };
    }
    if (ledger.memoryCapacity !== undefined && svc.memoryBytes > 0 && ledger.memoryBytes + svc.memoryBytes > ledger.memoryCapacity) {
      return { node, kind: 'memory', detail: `has ${bytes(ledger.memoryCapacity - ledger.memoryBytes)} of ${bytes(ledger.memoryCapacity)} memory unreserved, and a replica reserves ${bytes(svc.memoryBytes)}` };
    }
    return undefined;
  }

  record(node: string, svc: CatalogService, slot: string): void {
    const ledger = this.nodeLedger(node);
    if (svc.ports.length > 0) {
      const owner = `${serviceLabel(svc)} replica ${slot}`;
      for (const p of svc.ports) ledger.ports.add(p, owner);
    }
    ledger.nanoCpus += svc.nanoCpus;
    ledger.memoryBytes += svc.memoryBytes;
    ledger.load += 1;
    (ledger.perService[svc.order] as number)++;
    const spread = svc.spec.deploy.placement.spreadLabels;
    if (spread.length > 0) {
      let groups = this.groups.get(svc.key);
      if (!groups) this.groups.set(svc.key, (groups = new Map()));
      const labels = this.catalog.nodes.get(node)?.labels ?? {};
      for (let level = 0; level < spread.length; level++) {
        const key = groupKey(spread, labels, level);
        groups.set(key, (groups.get(key) ?? 0) + 1);
      }
    }
  }

  /** An existing container left running untouched: its real host ports stay taken. */
  keepAsItIs(c: ObservedContainer, owner: string): void {
    const ledger = this.nodeLedger(c.node);
    for (const p of heldHostPorts(c.publishedPorts)) ledger.ports.add(p, owner);
  }

  serviceCount(svc: CatalogService, node: string): number {
    return this.nodes.get(node)?.perService[svc.order] ?? 0;
  }

  groupCount(svc: CatalogService, key: string): number {
    return this.groups.get(svc.key)?.get(key) ?? 0;
  }

  load(node: string): number {
    return this.nodes.get(node)?.load ?? 0;
  }

  private nodeLedger(node: string): NodeLedger {
    let ledger = this.nodes.get(node);
    if (!ledger) {
      // A declared node never observed (held) has no facts: no capacity is assumed known.
      ledger = this.emptyLedger();
      this.nodes.set(node, ledger);
    }
    return ledger;
  }

  private emptyLedger(): NodeLedger {
    return { ports: new PortTable(), squatted: new Map(), nanoCpus: 0, memoryBytes: 0, load: 0, perService: new Uint32Array(this.catalog.services.length) };
  }
}

const parsedPlatforms = new Map<string, Platform>();

/** A service's `platform`, parsed once per text (it was checked at validation). */
function wantedPlatform(text: string): Platform {
  let platform = parsedPlatforms.get(text);
  if (!platform) {
    const parsed = parsePlatform(text);
    platform = parsed.ok ? parsed.platform : { os: text, arch: text };
    parsedPlatforms.set(text, platform);
  }
  return platform;
}

/** Spread group of a node at `level`: the values of the spread labels 0..level (absent = ''). */
export function groupKey(spreadLabels: readonly string[], labels: Record<string, string>, level: number): string {
  let key = String(level);
  for (let i = 0; i <= level; i++) key += `\u0000${labels[spreadLabels[i] as string] ?? ''}`;
  return key;
}

export function foreignOwner(c: ObservedContainer): string {
  const cluster = c.labels[LABEL.managed] === 'true' ? c.labels[LABEL.cluster] : undefined;
  return cluster !== undefined ? `container ${c.name} of Flotilla cluster "${cluster}"` : `unmanaged container ${c.name}`;
}

function cpus(nano: number): string {
  return String(Math.round(nano / 1e7) / 100);
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Math.round(value * 10) / 10} ${units[unit]}`;
}
