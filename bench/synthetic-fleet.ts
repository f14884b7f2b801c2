// A synthetic fleet for the planning benchmarks: stacks of four services (one with a fixed
// host port, some with constraints, spread over zones, reservations), and the fleet observed
// as if the plan from an empty cluster had been applied, then drifted a little: stopped,
// outdated, removed replicas and unmanaged squatters on every node.
import type { DesiredState, NodeSpec, ServiceSpec, StackSpec, UpdateConfig } from '../src/manifests/model.js';
import type { ObservedContainer, ObservedState } from '../src/docker/types.js';
import { LABEL } from '../src/docker/labels.js';
import { plan, type PlanOptions } from '../src/reconcile/plan/planner.js';

const ZONES = ['a', 'b', 'c'];
export const FLEET_PLAN_OPTIONS: PlanOptions = { selfHeal: true, prune: true, commit: 'bench-2' };
const UPDATE: UpdateConfig = { parallelism: 1, delayMs: 0, failureAction: 'rollback', monitorMs: 5000, maxFailureRatio: 0, order: 'start-first' };

function serviceSpec(stack: string, name: string, i: number, kind: number): ServiceSpec {
  return {
    stack,
    name,
    image: `registry.example.com/${stack}/${name}:1.${i % 7}`,
    environment: { SERVICE: name, STACK: stack, LOG_LEVEL: 'info', SHARD: String(i % 13) },
    ports: kind === 0 ? [{ target: 80, published: 20000 + i, protocol: 'tcp' }] : [{ target: 8080, protocol: 'tcp' }],
    mounts: kind === 3 ? [{ type: 'volume', source: 'data', target: '/data', readOnly: false }] : [],
    networks: ['default'],
    labels: { team: `team-${i % 17}` },
    healthcheck: { test: ['CMD', 'wget', '-q', '-O-', 'http://127.0.0.1/health'], intervalMs: 10_000, retries: 3 },
    restart: 'unless-stopped',
    capAdd: [],
    capDrop: [],
    readOnly: false,
    init: false,
    extraHosts: [],
    dependsOn: kind === 0 ? ['api'] : kind === 1 ? ['db'] : [],
    privileged: false,
    deploy: {
      mode: 'replicated',
      replicas: 3,
      placement: {
        constraints: kind === 3 ? [{ field: 'label', labelKey: 'zone', operator: '!=', value: 'c', text: 'node.labels.zone!=c' }] : [],
        spreadLabels: kind === 1 ? ['zone'] : [],
        ...(kind === 2 ? { maxReplicasPerNode: 1 } : {}),
      },
      updateConfig: UPDATE,
      rollbackConfig: UPDATE,
      limits: { memoryBytes: 256 * 2 ** 20 },
      reservations: { nanoCpus: 1e7, memoryBytes: 16 * 2 ** 20 },
      labels: {},
    },
  };
}

export function desiredFleet(services: number, nodeCount = 10): DesiredState {
  const nodes: NodeSpec[] = Array.from({ length: nodeCount }, (_, i) => ({ name: `node-${i}`, endpoint: `tcp://10.0.0.${i + 10}:2376`, labels: { zone: ZONES[i % ZONES.length] as string } }));
  const stacks: StackSpec[] = [];
  for (let s = 0; s < services / 4; s++) {
    const name = `stack-${s}`;
    stacks.push({
      name,
      file: `stacks/${name}/compose.yaml`,
      services: ['web', 'api', 'db', 'worker'].map((svc, kind) => serviceSpec(name, svc, s * 4 + kind, kind)),
      networks: [{ name: 'default', dockerName: `${name}_default`, internal: false, external: false, labels: {} }],
      volumes: [{ name: 'data', dockerName: `${name}_data`, driverOpts: {}, external: false, labels: {} }],
    });
  }
  return {
    revision: 'bench-2',
    cluster: { name: 'bench', file: 'clusters/bench/cluster.yaml', nodes, stacks: stacks.map((s) => ({ name: s.name, compose: s.file })), sync: { prune: true, selfHeal: true, revert: true }, policy: { allowPrivileged: false, allowHostNetwork: false, allowBindMounts: [] }, notifications: [], registries: [] },
    stacks,
  };
}

/** The fleet as if the plan from an empty cluster had been applied, then drifted a little. */
export function observedFleet(desired: DesiredState): ObservedState {
  const empty: ObservedState = { nodes: desired.cluster.nodes.map((n) => ({ name: n.name, up: true, facts: { cpus: 64, memoryBytes: 256 * 2 ** 30, serverVersion: '24.0.0' }, containers: [] })) };
  const byNode = new Map<string, ObservedContainer[]>(empty.nodes.map((n) => [n.name, []]));
  let n = 0;
  for (const a of plan(desired, empty, FLEET_PLAN_OPTIONS).actions) {
    if (a.type !== 'create') continue;
    n++;
    const labels: Record<string, string> = { ...a.container.body.Labels, [LABEL.commit]: 'bench-1' };
    if (n % 100 === 0) continue; // 1% removed out of band
    if (n % 97 === 0) labels[LABEL.specHash] = 'outdated00000000'; // ~1% changed in Git since
    const ports = Object.entries(a.container.body.HostConfig.PortBindings ?? {}).map(([key, b]) => ({ hostPort: Number(b[0]?.HostPort), containerPort: Number(key.split('/')[0]), protocol: 'tcp' as const }));
    (byNode.get(a.node) as ObservedContainer[]).push({
      id: `id-${n}`,
      name: a.container.name,
      node: a.node,
      image: a.container.body.Image,
      labels,
      state: n % 53 === 0 ? 'exited' : 'running', // ~2% stopped
      ...(n % 3 === 0 ? { health: 'healthy' as const } : {}),
      publishedPorts: ports,
      createdAt: 1_700_000_000 + n,
    });
  }
  for (const [node, containers] of byNode) for (let i = 0; i < 5; i++) containers.push({ id: `${node}-sidecar-${i}`, name: `sidecar-${i}`, node, image: 'someone/else', labels: {}, state: 'running', publishedPorts: [], createdAt: 1 });
  return { nodes: empty.nodes.map((node) => ({ ...node, containers: byNode.get(node.name) ?? [] })) };
}
