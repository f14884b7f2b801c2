// The desired state compiled once per plan: for every service its create body and spec hash
// (hashed once, not per replica), fixed host ports, reservations and the nodes its
// constraints allow, in apply order. The scheduler, drift assessment and planner all read
// this instead of recomputing from the manifests.
import type { ClusterSpec, DesiredState, NodeSpec, ServiceSpec, StackSpec } from '../../manifests/model.js';
import type { ContainerCreateBody, EndpointSettings } from '../../docker/types.js';
import { nodeMatches } from '../../manifests/constraints.js';
import { containerName } from '../../docker/labels.js';
import { extraEndpoints, extraNetworks, hashableBody, serviceBody, specHash } from './container-spec.js';
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
  /** Endpoint settings of `connect` networks that have Compose aliases or an address. */
  endpoints?: Record<string, EndpointSettings>;
  ports: HostPort[];
  nanoCpus: number;
  memoryBytes: number;
  /** Declared nodes that satisfy the placement constraints, in cluster order. */
  eligible: NodeSpec[];
  eligibleNames: ReadonlySet<string>;
  /** Container names by slot, filled on first use (see `replicaName`). */
  names: Map<string, string>;
  /** Replicated services: where slot "1" sits in a plan's flat list of replicated slots (observed-index.ts); -1 for global ones. */
  slotBase: number;
}

export interface Catalog {
  cluster: ClusterSpec;
  nodes: ReadonlyMap<string, NodeSpec>;
  /** In apply order (stacks as listed, depends_on inside a stack). */
  services: CatalogService[];
  byKey: ReadonlyMap<string, CatalogService>;
  /** By stack name, then service name: found from a container's labels without building a key. */
  byStack: ReadonlyMap<string, ReadonlyMap<string, CatalogService>>;
  /** How many slots the replicated services declare in all (see `slotBase`). */
  replicatedSlotCount: number;
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
  const eligibility = new Map<string, Eligibility>();
  const services = applyOrder(desired.stacks).map(({ stack, service }, order) => compileService(cluster, stack, service, order, eligibility));
  const byStack = new Map<string, Map<string, CatalogService>>();
  let replicatedSlotCount = 0;
  for (const svc of services) {
    let inStack = byStack.get(svc.stack.name);
    if (!inStack) byStack.set(svc.stack.name, (inStack = new Map()));
    inStack.set(svc.spec.name, svc);
    if (svc.spec.deploy.mode !== 'global') {
      svc.slotBase = replicatedSlotCount;
      replicatedSlotCount += Math.max(0, svc.spec.deploy.replicas);
    }
  }
  const catalog: Catalog = {
    cluster,
    nodes: new Map(cluster.nodes.map((n) => [n.name, n])),
    services,
    byKey: new Map(services.map((s) => [s.key, s])),
    byStack,
    replicatedSlotCount,
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

interface Eligibility {
  eligible: NodeSpec[];
  eligibleNames: ReadonlySet<string>;
}

function compileService(cluster: ClusterSpec, stack: StackSpec, spec: ServiceSpec, order: number, shared: Map<string, Eligibility>): CatalogService {
  const base = serviceBody(cluster.name, stack, spec);
  const connect = extraNetworks(stack, spec);
  const endpoints = extraEndpoints(stack, spec);
  const { eligible, eligibleNames } = eligibilityOf(cluster, spec, shared);
  return {
    key: serviceKey(stack.name, spec.name),
    stack,
    spec,
    order,
    base,
    // The networks joined after create shape the container too, so they are hashed with it.
    // Aliases and addresses there too; added only when written, so existing hashes hold.
    hash: memoSpecHash(hashableBody(base, spec.sealedEnv), endpoints ? [...connect, JSON.stringify(endpoints)] : connect),
    connect,
    ...(endpoints ? { endpoints } : {}),
    ports: fixedHostPorts(spec.ports),
    nanoCpus: spec.deploy.reservations.nanoCpus ?? 0,
    memoryBytes: spec.deploy.reservations.memoryBytes ?? 0,
    eligible,
    eligibleNames,
    names: new Map(),
    slotBase: -1,
  };
}

/**
 * The nodes a service may run on. Most services share a handful of constraint sets (most
 * have none), so services with equal sets share one list and one set: the scheduler asks
 * it for every replica, and one hot set beats thousands scattered through memory.
 */
function eligibilityOf(cluster: ClusterSpec, spec: ServiceSpec, shared: Map<string, Eligibility>): Eligibility {
  // The parsed constraints, not their text, say which nodes match.
  const key = JSON.stringify(spec.deploy.placement.constraints);
  let found = shared.get(key);
  if (!found) {
    const eligible = cluster.nodes.filter((n) => nodeMatches(n, spec.deploy.placement.constraints));
    shared.set(key, (found = { eligible, eligibleNames: new Set(eligible.map((n) => n.name)) }));
  }
  return found;
}

/** "shop/web", for messages. */
export function serviceLabel(svc: { stack: StackSpec; spec: ServiceSpec }): string {
  return `${svc.stack.name}/${svc.spec.name}`;
}

/**
 * `<stack>-<service>-<slot>`, remembered with the service: the scheduler, drift assessment
 * and conflicts ask for the name of every replica on every plan, and the catalog of a
 * revision is kept across plans, so steady-state planning builds no name strings.
 */
export function replicaName(svc: CatalogService, slot: string): string {
  let name = svc.names.get(slot);
  if (name === undefined) {
    name = containerName(svc.stack.name, svc.spec.name, slot, svc.spec.containerName);
    svc.names.set(slot, name);
  }
  return name;
}

/**
 * Whether `name` is `replicaName(svc, slot)`, compared in place: the index asks it of every
 * container, and a lookup in the service's name map cost a cache miss each on a large fleet.
 */
export function isReplicaName(name: string, svc: CatalogService, slot: string): boolean {
  const fixed = svc.spec.containerName;
  if (fixed !== undefined) return name === fixed;
  // containerName(): `${stack}-${service}-${slot}`.
  const stack = svc.stack.name;
  const service = svc.spec.name;
  const dash2 = stack.length + 1 + service.length;
  return (
    name.length === dash2 + 1 + slot.length &&
    name.startsWith(stack) &&
    name.charCodeAt(stack.length) === 45 &&
    name.startsWith(service, stack.length + 1) &&
    name.charCodeAt(dash2) === 45 &&
    name.endsWith(slot)
  );
}

/** The slots a replicated service declares: "1".."N". Global slots are node names. */
export function replicatedSlots(replicas: number): string[] {
  while (SLOT_NAMES.length < replicas) SLOT_NAMES.push(String(SLOT_NAMES.length + 1));
  return SLOT_NAMES.slice(0, Math.max(0, replicas));
}

/** The name of slot `i + 1` of a replicated service ("1" for 0): the shared string of `replicatedSlots`. */
export function replicatedSlotName(i: number): string {
  while (SLOT_NAMES.length <= i) SLOT_NAMES.push(String(SLOT_NAMES.length + 1));
  return SLOT_NAMES[i] as string;
}

/** Whether `slot` is one of the slots "1".."replicas" of a replicated service. */
export function isReplicatedSlot(slot: string, replicas: number): boolean {
  const n = Number(slot);
  if (!Number.isInteger(n) || n < 1 || n > replicas) return false;
  while (SLOT_NAMES.length < n) SLOT_NAMES.push(String(SLOT_NAMES.length + 1));
  return SLOT_NAMES[n - 1] === slot;
}

/** "1", "2", …: shared, so that planning 10,000 replicas does not build 10,000 strings. */
const SLOT_NAMES: string[] = [];
