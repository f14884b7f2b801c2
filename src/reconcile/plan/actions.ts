// The vocabulary of a plan: what the executor is asked to do, and what the plan reports.
// Everything here is plain data (no Map, no class), so a plan serializes to JSON as is and
// `flotilla plan --format json` and the daemon API can show it unchanged.
import type { EndpointSettings, NetworkCreate, ObservedContainer, VolumeCreate } from '../../docker/types.js';
import type { DriftKind } from '../../metrics.js';
import type { DesiredContainer } from './container-spec.js';
import type { NodeAvailability } from './node-availability.js';
import type { Unplaceable } from './scheduler.js';

/**
 * `sync`: converge to the target revision (a new commit, a revert, `flotilla apply`, a manual
 * sync): every difference is acted on. `resync`: re-check a revision already applied (poll
 * timer, Docker events): out-of-band drift is acted on only with selfHeal, as Argo CD's
 * automated sync does without selfHeal (it syncs on a new revision only); replicas of a
 * node lost past its grace period are still rescheduled. `report`: act on nothing (a
 * paused rollout): every action is withheld, the drift report is complete.
 */
export type PlanMode = 'sync' | 'resync' | 'report';

/**
 * Why an action exists, which decides whether policy lets it run:
 * `converge` — the live state differs from the desired state (gated by selfHeal in resync);
 * `node-availability` — a node was lost past its grace period, or came back with stale
 *   replicas (always acted on: it restores the declared replica count, DESIGN.md "Scheduling");
 * `prune` — containers of a service no longer declared (gated by prune, and by selfHeal in resync).
 */
export type ActionCause = 'converge' | 'node-availability' | 'prune';

interface ActionBase {
  stack: string;
  service: string;
  /** The node the action runs on (for a replace, the node of the new container). */
  node: string;
  /** For a person: why this action is needed. */
  reason: string;
  cause: ActionCause;
}

/** Idempotent: create the network if the node lacks it. */
export interface EnsureNetworkAction extends ActionBase {
  type: 'ensure-network';
  network: NetworkCreate;
}

/** Idempotent: create the named volume if the node lacks it. */
export interface EnsureVolumeAction extends ActionBase {
  type: 'ensure-volume';
  volume: VolumeCreate;
}

export interface CreateAction extends ActionBase {
  type: 'create';
  slot: string;
  container: DesiredContainer;
  /** Networks to connect before start (besides the one in the create body). */
  connect: string[];
  /** Aliases and fixed addresses on some of those, by network (absent: the service name only). */
  endpoints?: Record<string, EndpointSettings>;
}

export type ReplaceKind = 'spec-changed' | 'image-changed' | 'moved' | 'renamed' | 'stopped' | 'unhealthy';

export interface ReplaceAction extends ActionBase {
  type: 'replace';
  slot: string;
  kind: ReplaceKind;
  old: ObservedContainer;
  container: DesiredContainer;
  connect: string[];
  endpoints?: Record<string, EndpointSettings>;
  /**
   * The new container cannot run beside the old one (same node and a fixed host port the old
   * one holds), so `start-first` must degrade to stop-first for this replica. On the same
   * node the names are equal too: start-first renames the old container first.
   */
  mustStopFirst: boolean;
}

/** A stopped container that is otherwise current: start it rather than recreate it. */
export interface StartAction extends ActionBase {
  type: 'start';
  slot: string;
  container: ObservedContainer;
}

/**
 * `make-room`: the old container of a replica being replaced, removed ahead of its replace
 * because an earlier action needs its host port or name on that node (the replace then
 * appears as a create).
 */
export type RemoveKind = 'scaled-down' | 'service-removed' | 'node-ineligible' | 'duplicate' | 'stale' | 'invalid-slot' | 'make-room';

export interface RemoveAction extends ActionBase {
  type: 'remove';
  kind: RemoveKind;
  /** The slot label of the container, when it has one. */
  slot?: string;
  container: ObservedContainer;
  /**
   * Set when the removal was moved ahead to free a name or host port for a replica (of
   * another service, or its own replacement): the executor runs it once, when the first
   * service that needs it done is about to start (room-making.ts), since services roll in
   * parallel and its own service's turn may come too late.
   */
  makesRoomFor?: { stack: string; service: string };
}

export type ContainerAction = CreateAction | ReplaceAction | StartAction | RemoveAction;
export type Action = EnsureNetworkAction | EnsureVolumeAction | ContainerAction;

/** An action the policy does not allow now; shown so that nobody wonders why drift stays. */
export interface WithheldAction {
  action: ContainerAction;
  because: string;
}

/** Containers of one service on one node that differ from Git, by kind. Node '' = not placed anywhere. */
export interface DriftEntry {
  stack: string;
  service: string;
  node: string;
  kind: DriftKind;
  count: number;
  containers: string[];
}

/** A container Flotilla does not manage that holds a declared name or fixed host port. Never touched. */
export interface Conflict {
  node: string;
  container: string;
  containerId: string;
  /** `unmanaged`, or `cluster <name>` for another Flotilla cluster's container. */
  owner: string;
  holds: 'name' | 'port';
  stack: string;
  service: string;
  slot?: string;
  port?: string;
  message: string;
}

export interface DriftReport {
  entries: DriftEntry[];
  conflicts: Conflict[];
}

export interface ChangeCounts {
  create: number;
  replace: number;
  remove: number;
  start: number;
}

export interface ServiceSummary {
  stack: string;
  service: string;
  /** False for a service found on the nodes but no longer in Git. */
  declared: boolean;
  mode?: 'replicated' | 'global';
  /** Replicas declared (global: one per eligible node). */
  desired: number;
  /** Replicas the scheduler found a node for. */
  placed: number;
  /** Replicas running the desired spec where they should (including held ones last seen so). */
  current: number;
  /** Replicas on unreachable nodes within their grace period (state unknown, left as they were). */
  held: string[];
  /** No drift, nothing unplaceable, no pending or withheld action. */
  inSync: boolean;
  changes: ChangeCounts;
  withheld: number;
  unplaceable: number;
}

export interface NodeSummary {
  name: string;
  availability: NodeAvailability;
  error?: string;
}

export interface Plan {
  cluster: string;
  /** The commit new containers are labelled with. */
  revision: string;
  mode: PlanMode;
  /** In execution order; see planner.ts for the guarantees. */
  actions: Action[];
  withheld: WithheldAction[];
  unplaceable: Unplaceable[];
  drift: DriftReport;
  services: ServiceSummary[];
  nodes: NodeSummary[];
  summary: ChangeCounts & { withheld: number; unplaceable: number; conflicts: number; servicesInSync: number; servicesOutOfSync: number };
}

/** Takes any engine's action (see engine/engine.ts), so a report can tell container actions apart. */
export function isContainerAction(a: { type: string }): a is ContainerAction {
  return a.type === 'create' || a.type === 'replace' || a.type === 'start' || a.type === 'remove';
}

export function emptyCounts(): ChangeCounts {
  return { create: 0, replace: 0, remove: 0, start: 0 };
}
