// Containers Flotilla does not manage (no labels, or another cluster's) that hold a name or
// fixed host port a declared service needs on a node. They are reported, never touched:
// the scheduler already keeps replicas off their names and ports, and the report says who
// is in the way so that a person can move them.
import type { ObservedContainer } from '../../docker/types.js';
import { containerName, LABEL } from '../../docker/labels.js';
import type { Conflict } from './actions.js';
import { replicatedSlots, serviceLabel, type Catalog, type CatalogService } from './catalog.js';
import { formatHostPort, heldHostPorts, hostPortsCollide, portKey, type HostPort } from './host-ports.js';
import type { ObservedIndex } from './observed-index.js';
import { addTo } from './multimap.js';
import { foreignOwner } from './placement-ledger.js';

interface Declared {
  names: Map<string, { svc: CatalogService; slot: string }>;
  ports: Map<string, Array<{ svc: CatalogService; port: HostPort }>>;
}

// What a revision declares depends on the catalog alone, which is kept per revision.
const declaredOf = new WeakMap<Catalog, Declared>();

export function findConflicts(catalog: Catalog, index: ObservedIndex): Conflict[] {
  let declared = declaredOf.get(catalog);
  if (!declared) declaredOf.set(catalog, (declared = declare(catalog)));
  const conflicts: Conflict[] = [];
  scan(index, declared, conflicts);
  return conflicts;
}

function declare(catalog: Catalog): Declared {
  const names = new Map<string, { svc: CatalogService; slot: string }>();
  const ports = new Map<string, Array<{ svc: CatalogService; port: HostPort }>>();
  for (const svc of catalog.services) {
    const global = svc.spec.deploy.mode === 'global';
    const slots = global ? svc.eligible.map((n) => n.name) : replicatedSlots(svc.spec.deploy.replicas);
    for (const slot of slots) names.set(containerName(svc.stack.name, svc.spec.name, slot, svc.spec.containerName), { svc, slot });
    for (const port of svc.ports) {
      addTo(ports, portKey(port), { svc, port });
    }
  }
  return { names, ports };
}

function scan(index: ObservedIndex, { names, ports }: Declared, conflicts: Conflict[]): void {
  for (const [node, containers] of index.foreignByNode) {
    if (index.availability.get(node) !== 'up') continue;
    for (const c of containers) {
      const named = names.get(c.name);
      if (named && named.svc.eligibleNames.has(node) && (named.svc.spec.deploy.mode !== 'global' || named.slot === node)) {
        conflicts.push({
          ...base(c, node, named.svc),
          holds: 'name',
          slot: named.slot,
          message: `${foreignOwner(c)} on ${node} holds the name ${c.name}, which ${serviceLabel(named.svc)} needs for replica ${named.slot}; Flotilla leaves it alone, so that replica cannot run on ${node}. Remove or rename it.`,
        });
      }
      const seen = new Set<string>();
      for (const held of heldHostPorts(c.publishedPorts)) {
        for (const { svc, port } of ports.get(portKey(held)) ?? []) {
          const key = `${svc.key}|${formatHostPort(port)}`;
          if (seen.has(key) || !svc.eligibleNames.has(node) || !hostPortsCollide(held, port)) continue;
          seen.add(key);
          conflicts.push({
            ...base(c, node, svc),
            holds: 'port',
            port: formatHostPort(port),
            message: `${foreignOwner(c)} on ${node} holds host port ${formatHostPort(held)}, which ${serviceLabel(svc)} publishes; Flotilla leaves it alone, so ${serviceLabel(svc)} cannot run on ${node}. Stop it or publish another port.`,
          });
        }
      }
    }
  }
}

function base(c: ObservedContainer, node: string, svc: CatalogService): Omit<Conflict, 'holds' | 'message'> {
  const cluster = c.labels[LABEL.managed] === 'true' ? c.labels[LABEL.cluster] : undefined;
  return { node, container: c.name, containerId: c.id, owner: cluster !== undefined ? `cluster ${cluster}` : 'unmanaged', stack: svc.stack.name, service: svc.spec.name };
}
