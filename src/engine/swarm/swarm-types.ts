// What the Swarm engine sees and plans, as plain data. Only the fields Flotilla reads are
// typed; the service spec is kept whole (`spec`) because an update must send it back whole.
import type { ObservedState } from '../../docker/types.js';
import type { FileContent } from '../../manifests/model.js';
import type { PlannedAction, EnginePlan } from '../engine.js';
import type { SwarmObjectKind } from './swarm-objects.js';

/** The Engine API's ServiceSpec as Flotilla writes it (see service-spec.ts). */
export type SwarmServiceSpec = Record<string, unknown> & { Name: string; Labels: Record<string, string>; TaskTemplate: Record<string, unknown> };

export interface SwarmService {
  id: string;
  version: number;
  name: string;
  labels: Record<string, string>;
  spec: SwarmServiceSpec;
  /** UpdateStatus.State: updating, paused, completed, rollback_started, ... ('' when never updated). */
  updateState: string;
  updateMessage: string;
}

export interface SwarmTask {
  id: string;
  serviceId: string;
  nodeId: string;
  slot?: number;
  /** Status.State: new, pending, assigned, ..., starting, running, complete, failed, rejected, shutdown. */
  state: string;
  desiredState: string;
  message: string;
  error: string;
  /** Spec version of the service the task runs (ServiceSpec index at task creation). */
  image: string;
  createdAt: string;
  containerId?: string;
}

export interface SwarmNode {
  id: string;
  version: number;
  hostname: string;
  role: string;
  availability: string;
  ready: boolean;
  /** Status.State: ready, down, unknown, disconnected. */
  state: string;
  /** Status.Message, e.g. why it is down. */
  stateMessage: string;
  labels: Record<string, string>;
  spec: Record<string, unknown>;
}

export interface SwarmNetwork {
  id: string;
  name: string;
  labels: Record<string, string>;
}

/** A config or secret object Flotilla made (listed by the flotilla.managed label; never its content). */
export interface SwarmObject {
  kind: SwarmObjectKind;
  id: string;
  name: string;
  labels: Record<string, string>;
}

/** The one observation per cycle: services, tasks, nodes, networks, configs and secrets of the swarm. */
export interface SwarmObservation {
  manager: string;
  services: SwarmService[];
  tasks: SwarmTask[];
  nodes: SwarmNode[];
  networks: SwarmNetwork[];
  objects: SwarmObject[];
}

/** Nodes are the swarm's, their containers the tasks (so status, metrics and recovery read them as on hosts). */
export interface SwarmObservedState extends ObservedState {
  swarm?: SwarmObservation;
}

export interface CreateServiceAction extends PlannedAction {
  type: 'service-create';
  spec: SwarmServiceSpec;
}

export interface UpdateServiceAction extends PlannedAction {
  type: 'service-update';
  id: string;
  version: number;
  spec: SwarmServiceSpec;
  /** Dotted paths of the spec fields that differ, for plans and PR comments. */
  fields: string[];
  /** Only the replica count differs. */
  scale: boolean;
}

export interface RemoveServiceAction extends PlannedAction {
  type: 'service-remove';
  id: string;
  name: string;
}

export interface CreateNetworkAction extends PlannedAction {
  type: 'network-create';
  body: { Name: string; Driver: 'overlay'; Attachable: true; Internal: boolean; Labels: Record<string, string> };
}

export interface NodeLabelsAction extends PlannedAction {
  type: 'node-labels';
  nodeId: string;
  version: number;
  /** The node's spec with its labels as Git declares them. */
  spec: Record<string, unknown>;
}

/** Made before the services that reference it; `content` is a secret's wrapper, clear only in the create call. */
export interface CreateObjectAction extends PlannedAction {
  type: 'config-create' | 'secret-create';
  kind: SwarmObjectKind;
  name: string;
  labels: Record<string, string>;
  content: FileContent;
}

/** A Flotilla object no service of Git uses any more, deleted after the services rolled. */
export interface RemoveObjectAction extends PlannedAction {
  type: 'config-remove' | 'secret-remove';
  kind: SwarmObjectKind;
  id: string;
  name: string;
}

export type SwarmAction = CreateServiceAction | UpdateServiceAction | RemoveServiceAction | CreateNetworkAction | NodeLabelsAction | CreateObjectAction | RemoveObjectAction;

export interface SwarmPlan extends EnginePlan {
  actions: SwarmAction[];
  withheld: Array<{ action: SwarmAction; because: string }>;
}

export const SWARM_ACTIONS: ReadonlySet<string> = new Set(['service-create', 'service-update', 'service-remove', 'network-create', 'node-labels', 'config-create', 'secret-create', 'config-remove', 'secret-remove']);

export function isSwarmAction(a: PlannedAction): a is SwarmAction {
  return SWARM_ACTIONS.has(a.type);
}

/** `<stack>_<service>`, as `docker stack deploy` names it. */
export function swarmServiceName(stack: string, service: string): string {
  return `${stack}_${service}`;
}
