// Makes the ordered actions executable one after the other on real Docker. A container
// can only be created (or started) once nothing on its node holds its name or one of its
// fixed host ports. When the container in the way is removed by a *later* action (a
// service renamed with prune, a replica scaled down, the old side of a replace), that
// removal is pulled forward to just before the action that needs the room; a replace whose
// old container was removed that way becomes a create. When nothing in the plan removes
// it (it is kept by policy, or is not Flotilla's), the action is blocked and reported.
import type { ObservedContainer } from '../../docker/types.js';
import type { ContainerAction, CreateAction, RemoveAction } from './actions.js';
import { serviceKey, type Catalog } from './catalog.js';
import { formatHostPort, holdsHostPort } from './host-ports.js';
import { NameHolders } from './name-holders.js';
import { cmp, type ObservedIndex } from './observed-index.js';

export interface BlockedAction {
  action: ContainerAction;
  reason: string;
}

interface Blocker {
  container: ObservedContainer;
  what: string;
}

/** Per node, by host port number: the containers publishing it (any address or protocol), by name then id. */
type PortHolders = Map<string, Map<number, ObservedContainer[]>>;

export function orderForExecution(actions: readonly ContainerAction[], catalog: Catalog, index: ObservedIndex): { actions: ContainerAction[]; blocked: BlockedAction[] } {
  const removalAt = new Map<string, number>();
  actions.forEach((a, i) => {
    if (a.type === 'remove') removalAt.set(a.container.id, i);
    else if (a.type === 'replace') removalAt.set(a.old.id, i);
  });
  const portsByNode: PortHolders = new Map();
  const names = new NameHolders(index);
  for (const a of actions) if (a.type === 'create' || a.type === 'replace') names.want(a.node, a.container.name);
  const gone = new Set<string>();
  const early = new Set<string>();
  const out: ContainerAction[] = [];
  const blocked: BlockedAction[] = [];

  actions.forEach((original, i) => {
    let action = original;
    if (action.type === 'remove' && early.has(action.container.id)) return;
    if (action.type === 'replace' && early.has(action.old.id)) {
      const { stack, service, node, slot, cause, container, connect, old } = action;
      const reason = `${action.reason} (its old container ${old.name} on ${old.node} was removed earlier to make room)`;
      const create: CreateAction = { type: 'create', stack, service, node, slot, reason, cause, container, connect };
      action = create;
    }
    if (action.type !== 'remove') {
      const blockers = blockersOf(action, catalog, index, names, portsByNode).filter((b) => !gone.has(b.container.id));
      const unresolved = blockers.filter((b) => (removalAt.get(b.container.id) ?? -1) < i);
      if (unresolved.length > 0) {
        const b = unresolved[0] as Blocker;
        blocked.push({ action, reason: `${describe(action)} is blocked: ${b.what} on ${action.node} is held by container ${b.container.name}, which this plan does not remove (kept by policy, or not Flotilla's).` });
        return;
      }
      for (const b of blockers) {
        const j = removalAt.get(b.container.id) as number;
        out.push(makeRoom(actions[j] as ContainerAction, b, action));
        early.add(b.container.id);
        gone.add(b.container.id);
      }
    }
    if (action.type === 'remove') gone.add(action.container.id);
    if (action.type === 'replace') gone.add(action.old.id);
    out.push(action);
  });
  return { actions: out, blocked };
}

/** Containers on the action's node that hold the name or a fixed host port it needs (its own old container excepted). */
function blockersOf(action: Exclude<ContainerAction, RemoveAction>, catalog: Catalog, index: ObservedIndex, names: NameHolders, portsByNode: PortHolders): Blocker[] {
  const own = action.type === 'replace' ? action.old.id : action.type === 'start' ? action.container.id : undefined;
  const blockers: Blocker[] = [];
  const seen = new Set<string>();
  const add = (container: ObservedContainer, what: string): void => {
    if (container.id === own || seen.has(container.id)) return;
    seen.add(container.id);
    blockers.push({ container, what });
  };
  if (action.type !== 'start') {
    const holder = names.holder(action.node, action.container.name);
    if (holder) add(holder, `the name ${action.container.name}`);
  }
  const svc = catalog.byKey.get(serviceKey(action.stack, action.service));
  if (svc && svc.ports.length > 0) {
    const table = nodePorts(action.node, index, portsByNode);
    for (const port of svc.ports) {
      for (const holder of table.get(port.port) ?? []) if (holdsHostPort(holder.publishedPorts, port)) add(holder, `host port ${formatHostPort(port)}`);
    }
  }
  return blockers;
}

function nodePorts(node: string, index: ObservedIndex, cache: PortHolders): Map<number, ObservedContainer[]> {
  let table = cache.get(node);
  if (!table) {
    table = new Map();
    // Only the few containers that publish ports (noted by the index), keyed by number: no
    // key string or port object per binding; blockersOf checks protocol and address.
    for (const container of index.publishingByNode.get(node) ?? []) {
      for (const p of container.publishedPorts) {
        const list = table.get(p.hostPort);
        if (!list) table.set(p.hostPort, [container]);
        else if (list[list.length - 1] !== container) list.push(container);
      }
    }
    // Sorted, so that which blocker is freed first never depends on Docker's list order.
    for (const list of table.values()) if (list.length > 1) list.sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id));
    cache.set(node, table);
  }
  return table;
}

function makeRoom(removal: ContainerAction, b: Blocker, taker: ContainerAction): RemoveAction {
  const why = `moved ahead to free ${b.what} for ${describe(taker)}`;
  const makesRoomFor = { stack: taker.stack, service: taker.service };
  if (removal.type === 'remove') return { ...removal, reason: `${removal.reason}; ${why}`, makesRoomFor };
  // The old side of a replace: it goes now, its replacement comes with its own service.
  return {
    type: 'remove',
    kind: 'make-room',
    stack: removal.stack,
    service: removal.service,
    node: taker.node,
    ...(removal.slot ? { slot: removal.slot } : {}),
    reason: `being replaced (${removal.reason}); ${why}`,
    cause: removal.cause,
    container: b.container,
    makesRoomFor,
  };
}

function describe(a: ContainerAction): string {
  return `${a.type} of ${a.container.name}`;
}
