// The desired state compiled once per plan: for every service its create body and spec hash
// (hashed once, not per replica), fixed host ports, reservations and the nodes its
// constraints allow, in apply order. The scheduler, drift assessment and planner all read
// this instead of recomputing from the manifests.
import type { ClusterSpec, DesiredState, NodeSpec, ServiceSpec, StackSpec } from '../../manifests/model.js';
import type { ContainerCreateBody } from '../../docker/types.js';
import { nodeMatches } from '../../manifests/constraints.js';
import { extraNetworks, hashableBody, serviceBody, specHash } from './container-spec.js';
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

// The daemon keeps the loaded DesiredState of a revision and plans it again every cycle,
// so its catalog is kept with it, by identity. This relies on a contract: a DesiredState
// is never changed once loaded (build a new one instead), and the create bodies that end
// up in actions are shared and read-only.
const catalogs = new WeakMap<DesiredState, Catalog>();

export function compileCatalog(desired: DesiredState): Catalog {
  const cached = catalogs.get(desired);
  if (cached) return cached;
  const cluster = desired.cluster;
  const services = applyOrder(desired.stacks).map(({ stack, service }, order) => compileService(cluster, stack, service, order));
  const catalog: Catalog = {
    cluster,
    nodes: new Map(cluster.nodes.map((n) => [n.name, n])),
    services,
    byKey: new Map(services.map((s) => [s.key, s])),
  };
  catalogs.set(desired, catalog);
  return catalog;
}


// Spec hashes memoized by the body's JSON. Canonical JSON + SHA-256 is the costliest step
// of a plan, and the daemon plans the same specs every cycle (reloaded from Git, so new
// objects with equal content). serviceBody never sets a property to undefined, so equal
// JSON means equal canonical form and the same hash: the cache changes no result and
// plan() stays a pure function. Bounded, so a long-running daemon does not grow it forever.
const hashCache = new Map<string, string>();
const HASH_CACHE_LIMIT = 20_000;

/** For benchmarks of a first plan: forget every remembered spec hash. */
export function forgetSpecHashes(): void {
  hashCache.clear();
}

function memoSpecHash(body: ContainerCreateBody, extra: string[]): string {
  const key = `${JSON.stringify(body)}\u0000${extra.join('\u0000')}`;
  let hash = hashCache.get(key);
  if (hash === undefined) {
    if (hashCache.size >= HASH_CACHE_LIMIT) hashCache.clear();
    hash = specHash(body, extra);
    hashCache.set(key, hash);
  }
  return hash;
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
    hash: memoSpecHash(hashableBody(base, spec.sealedEnv), connect),
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
  while (SLOT_NAMES.length < replicas) SLOT_NAMES.push(String(SLOT_NAMES.length + 1));
  return SLOT_NAMES.slice(0, Math.max(0, replicas));
}

/** "1", "2", …: shared, so that planning 10,000 replicas does not build 10,000 strings. */
const SLOT_NAMES: string[] = [];
