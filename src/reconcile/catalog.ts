// The desired state compiled once per plan: for every service its create body and spec hash
// (hashed once, not per replica), fixed host ports, reservations and the nodes its
// constraints allow, in apply order. The scheduler, drift assessment and planner all read
// this instead of recomputing from the manifests.
import type { ClusterSpec, DesiredState, NodeSpec, ServiceSpec, StackSpec } from '../manifests/model.js';
import type { ContainerCreateBody } from '../docker/types.js';
import { nodeMatches } from '../manifests/constraints.js';
import { extraNetworks, serviceBody, specHash } from './container-spec.js';
import { fixedHostPorts, type HostPort } from './host-ports.js';
import { applyOrder } from './service-order.js';

export interface CatalogService {
  /** Map key for (stack, service); not for display. */
  key: string;
  stack: StackSpec;
  spec: ServiceSpec;
  /** Index in apply order. */
  order: number;
  base: ContainerCreateBody;
  hash: string;
  /** Networks connected after create (Docker attaches one network at create). */
  connect: string[];
  ports: HostPort[];
  nanoCpus: number;
  memoryBytes: number;
  /** Declared nodes that satisfy the placement constraints, in cluster order. */
  eligible: NodeSpec[];
  eligibleNames: ReadonlySet<string>;
}

export interface Catalog {
  cluster: ClusterSpec;
  nodes: ReadonlyMap<string, NodeSpec>;
  /** In apply order (stacks as listed, depends_on inside a stack). */
  services: CatalogService[];
  byKey: ReadonlyMap<string, CatalogService>;
}

export function serviceKey(stack: string, service: string): string {
  return `${stack}\u0000${service}`;
}

export function compileCatalog(desired: DesiredState): Catalog {
  const cluster = desired.cluster;
  const services = applyOrder(desired.stacks).map(({ stack, service }, order) => compileService(cluster, stack, service, order));
  return {
    cluster,
    nodes: new Map(cluster.nodes.map((n) => [n.name, n])),
    services,
    byKey: new Map(services.map((s) => [s.key, s])),
  };
}

function compileService(cluster: ClusterSpec, stack: StackSpec, spec: ServiceSpec, order: number): CatalogService {
  const base = serviceBody(cluster.name, stack, spec);
  const connect = extraNetworks(stack, spec);
  const eligible = cluster.nodes.filter((n) => nodeMatches(n, spec.deploy.placement.constraints));
  return {
    key: serviceKey(stack.name, spec.name),
    stack,
    spec,
    order,
    base,
    // The networks joined after create shape the container too, so they are hashed with it.
    hash: specHash(base, connect),
    connect,
    ports: fixedHostPorts(spec.ports),
    nanoCpus: spec.deploy.reservations.nanoCpus ?? 0,
    memoryBytes: spec.deploy.reservations.memoryBytes ?? 0,
    eligible,
    eligibleNames: new Set(eligible.map((n) => n.name)),
  };
}

/** "shop/web", for messages. */
export function serviceLabel(svc: { stack: StackSpec; spec: ServiceSpec }): string {
  return `${svc.stack.name}/${svc.spec.name}`;
}

/** The slots a replicated service declares: "1".."N". Global slots are node names. */
export function replicatedSlots(replicas: number): string[] {
  return Array.from({ length: Math.max(0, replicas) }, (_, i) => String(i + 1));
}
