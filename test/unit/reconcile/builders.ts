// Small builders for synthetic desired and observed states, so that a test says only what
// matters to it ("3 replicas spread over zones") and everything else takes the defaults
// loading would fill in.
import type { DeploySpec, DesiredState, NodeSpec, PlacementSpec, PortSpec, ServiceSpec, StackSpec, UpdateConfig } from '../../../src/manifests/model.js';
import type { ContainerState, ObservedContainer, ObservedNode, ObservedState } from '../../../src/docker/types.js';
import { parseConstraint } from '../../../src/manifests/constraints.js';
import { containerName, LABEL } from '../../../src/docker/labels.js';
import { compileCatalog, serviceKey } from '../../../src/reconcile/plan/catalog.js';

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

const UPDATE: UpdateConfig = { parallelism: 1, delayMs: 0, failureAction: 'rollback', monitorMs: 5000, maxFailureRatio: 0, order: 'stop-first' };

export interface ServiceOptions {
  image?: string;
  replicas?: number;
  mode?: 'replicated' | 'global';
  constraints?: string[];
  spread?: string[];
  maxPerNode?: number;
  ports?: Array<number | PortSpec>;
  cpus?: number;
  memory?: number;
  env?: Record<string, string>;
  dependsOn?: string[];
  /** `container_name` (one replica only, as loading enforces). */
  containerName?: string;
}

export function service(name: string, o: ServiceOptions = {}): ServiceSpec {
  const placement: PlacementSpec = {
    constraints: (o.constraints ?? []).map((text) => {
      const parsed = parseConstraint(text);
      if (!parsed.ok) throw new Error(parsed.message);
      return parsed.constraint;
    }),
    spreadLabels: o.spread ?? [],
    ...(o.maxPerNode !== undefined ? { maxReplicasPerNode: o.maxPerNode } : {}),
  };
  const deploy: DeploySpec = {
    mode: o.mode ?? 'replicated',
    replicas: o.replicas ?? 1,
    placement,
    updateConfig: UPDATE,
    rollbackConfig: UPDATE,
    limits: {},
    reservations: { ...(o.cpus !== undefined ? { nanoCpus: o.cpus * 1e9 } : {}), ...(o.memory !== undefined ? { memoryBytes: o.memory } : {}) },
    labels: {},
  };
  return {
    stack: '',
    name,
    image: o.image ?? `example/${name}:1`,
    environment: o.env ?? {},
    ports: (o.ports ?? []).map((p) => (typeof p === 'number' ? { target: 80, published: p, protocol: 'tcp' as const } : p)),
    mounts: [],
    networks: ['default'],
    labels: {},
    restart: 'unless-stopped',
    capAdd: [],
    capDrop: [],
    readOnly: false,
    init: false,
    extraHosts: [],
    dependsOn: o.dependsOn ?? [],
    privileged: false,
    deploy,
    ...(o.containerName !== undefined ? { containerName: o.containerName } : {}),
  };
}

export function stack(name: string, services: ServiceSpec[]): StackSpec {
  return {
    name,
    file: `stacks/${name}/compose.yaml`,
    services: services.map((s) => ({ ...s, stack: name })),
    networks: [{ name: 'default', dockerName: `${name}_default`, internal: false, external: false, labels: {} }],
    volumes: [],
  };
}

export function node(name: string, labels: Record<string, string> = {}): NodeSpec {
  return { name, endpoint: 'unix:///var/run/docker.sock', labels };
}

export function desired(nodes: NodeSpec[], stacks: StackSpec[], cluster = 'test'): DesiredState {
  return {
    revision: 'rev-1',
    cluster: {
      name: cluster,
      file: `clusters/${cluster}/cluster.yaml`,
      nodes,
      stacks: stacks.map((s) => ({ name: s.name, compose: s.file })),
      sync: { prune: true, selfHeal: true, revert: true },
      policy: { allowPrivileged: false, allowHostNetwork: false, allowBindMounts: [] },
      notifications: [],
      registries: [],
    },
    stacks,
  };
}

export interface NodeOptions {
  up?: boolean;
  cpus?: number;
  memory?: number;
}

export function observedNode(name: string, containers: ObservedContainer[] = [], o: NodeOptions = {}): ObservedNode {
  const up = o.up ?? true;
  return {
    name,
    up,
    ...(up ? {} : { error: 'connect ECONNREFUSED' }),
    facts: { cpus: o.cpus ?? 8, memoryBytes: o.memory ?? 16 * GiB, serverVersion: '24.0.0' },
    containers: containers.map((c) => ({ ...c, node: name })),
  };
}

export function observed(...nodes: ObservedNode[]): ObservedState {
  return { nodes };
}

let nextId = 1;

export interface ReplicaOptions {
  state?: ContainerState;
  health?: 'starting' | 'healthy' | 'unhealthy';
  hash?: string;
  image?: string;
  commit?: string;
  name?: string;
  createdAt?: number;
}

/** A managed container exactly as Flotilla would have created it for this desired state. */
export function replica(state: DesiredState, stackName: string, serviceName: string, slot: string, nodeName: string, o: ReplicaOptions = {}): ObservedContainer {
  const svc = compileCatalog(state).byKey.get(serviceKey(stackName, serviceName));
  if (!svc) throw new Error(`no service ${stackName}/${serviceName}`);
  const running = (o.state ?? 'running') === 'running';
  return {
    id: `c${nextId++}`,
    name: o.name ?? containerName(stackName, serviceName, slot, svc.spec.containerName),
    node: nodeName,
    image: o.image ?? svc.base.Image,
    labels: { ...svc.base.Labels, [LABEL.slot]: slot, [LABEL.specHash]: o.hash ?? svc.hash, [LABEL.commit]: o.commit ?? 'old-commit' },
    state: o.state ?? 'running',
    ...(o.health ? { health: o.health } : {}),
    publishedPorts: running ? svc.ports.map((p) => ({ hostPort: p.port, containerPort: 80, protocol: p.protocol, ...(p.hostIp ? { hostIp: p.hostIp } : {}) })) : [],
    createdAt: o.createdAt ?? 1_700_000_000,
  };
}

/** A container Flotilla does not manage. */
export function foreign(name: string, ports: number[] = [], labels: Record<string, string> = {}): ObservedContainer {
  return {
    id: `f${nextId++}`,
    name,
    node: '',
    image: 'someone/else:latest',
    labels,
    state: 'running',
    publishedPorts: ports.map((p) => ({ hostPort: p, containerPort: p, protocol: 'tcp' as const, hostIp: '0.0.0.0' })),
    createdAt: 1_600_000_000,
  };
}
