// Networks and named volumes of a stack exist on a node only where the stack runs
// (DESIGN.md "Containers on the nodes"). Before the first action that creates, replaces
// or starts a container of a stack on a node, the plan asks to ensure every network and
// volume the stack's containers there will need. Ensures are idempotent in the executor,
// so one that already exists costs an inspect, not a change.
import type { NetworkSpec, ServiceSpec, StackSpec, VolumeSpec } from '../../manifests/model.js';
import type { Action, ContainerAction, EnsureNetworkAction, EnsureVolumeAction } from './actions.js';
import { serviceKey, type Catalog } from './catalog.js';
import { networkCreate, volumeCreate } from './container-spec.js';

export function withEnsures(actions: readonly ContainerAction[], catalog: Catalog): Action[] {
  const needs = new Map<string, Set<string>>();
  for (const a of actions) {
    if (a.type === 'remove') continue;
    const key = `${a.stack}\u0000${a.node}`;
    const set = needs.get(key);
    if (set) set.add(a.service);
    else needs.set(key, new Set([a.service]));
  }
  const done = new Set<string>();
  const out: Action[] = [];
  for (const a of actions) {
    const key = `${a.stack}\u0000${a.node}`;
    if (a.type !== 'remove' && !done.has(key)) {
      done.add(key);
      out.push(...ensuresFor(a, [...(needs.get(key) ?? [])], catalog));
    }
    out.push(a);
  }
  return out;
}

function ensuresFor(first: ContainerAction, services: string[], catalog: Catalog): Array<EnsureNetworkAction | EnsureVolumeAction> {
  const networks = new Map<string, NetworkSpec>();
  const volumes = new Map<string, VolumeSpec>();
  let stack: StackSpec | undefined;
  for (const name of services) {
    const svc = catalog.byKey.get(serviceKey(first.stack, name));
    if (!svc) continue;
    stack = svc.stack;
    for (const n of networksOf(svc.stack, svc.spec)) if (!n.external) networks.set(n.dockerName, n);
    for (const v of volumesOf(svc.stack, svc.spec)) if (!v.external) volumes.set(v.dockerName, v);
  }
  if (!stack) return [];
  const base = { stack: first.stack, service: first.service, node: first.node, cause: first.cause };
  const cluster = catalog.cluster.name;
  return [
    ...[...networks.values()].map((n): EnsureNetworkAction => ({ ...base, type: 'ensure-network', reason: `network ${n.dockerName} of stack ${first.stack} on ${first.node}`, network: networkCreate(cluster, first.stack, n) })),
    ...[...volumes.values()].map((v): EnsureVolumeAction => ({ ...base, type: 'ensure-volume', reason: `volume ${v.dockerName} of stack ${first.stack} on ${first.node}`, volume: volumeCreate(cluster, first.stack, v) })),
  ];
}

function networksOf(stack: StackSpec, service: ServiceSpec): NetworkSpec[] {
  if (service.networkMode) return [];
  return service.networks.map((name) => stack.networks.find((n) => n.name === name) ?? { name, dockerName: `${stack.name}_${name}`, internal: false, external: false, labels: {} });
}

function volumesOf(stack: StackSpec, service: ServiceSpec): VolumeSpec[] {
  const out: VolumeSpec[] = [];
  for (const m of service.mounts) {
    if (m.type !== 'volume' || !m.source) continue;
    const source = m.source;
    out.push(stack.volumes.find((v) => v.name === source) ?? { name: source, dockerName: `${stack.name}_${source}`, driverOpts: {}, external: false, labels: {} });
  }
  return out;
}
