// Builds a Reconciler over recording Docker nodes, an in-memory Git source and a clock that
// advances instantly, so whole rollouts (health waits included) run in milliseconds.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../../src/clock.js';
import { NodePool } from '../../../src/docker/node-pool.js';
import { RecordingDockerNode } from '../../../src/docker/recording-node.js';
import type { RecordingNodeOptions } from '../../../src/docker/recording-types.js';
import type { RegistryAuth } from '../../../src/docker/registry/auth-resolver.js';
import type { Logger } from '../../../src/log.js';
import { FlotillaMetrics } from '../../../src/metrics.js';
import { silentLogger } from '../../../src/log.js';
import { StateStore } from '../../../src/state.js';
import { Reconciler } from '../../../src/reconcile/reconciler.js';
import { GoodSnapshot } from '../../../src/reconcile/rollout/good-snapshot.js';
import type { FleetEvent } from '../../../src/notify/types.js';
import { MemorySource } from './memory-source.js';

export class InstantClock implements Clock {
  time = 1_800_000_000_000;
  now(): number {
    return this.time;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.time += ms;
    await new Promise((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
  }
}

export interface Flow {
  source: MemorySource;
  nodes: Map<string, RecordingDockerNode>;
  reconciler: Reconciler;
  metrics: FlotillaMetrics;
  events: FleetEvent[];
  stateDir: string;
  run(): Promise<string>;
  /** Builds a fresh Reconciler on the same state dir and nodes, as after a restart. */
  restart(): Promise<void>;
}

export const NODE_NAMES = ['node-a', 'node-b', 'node-c'];

export function clusterYaml(extra = ''): string {
  return `apiVersion: flotilla/v1alpha1
kind: Cluster
metadata: { name: prod }
spec:
  nodes:
${NODE_NAMES.map((n, i) => `    - { name: ${n}, endpoint: "unix:///run/${n}.sock", labels: { zone: z${i} } }`).join('\n')}
  stacks:
    - { name: shop, compose: stacks/shop/compose.yaml }
${extra}`;
}

export interface FlowOptions {
  clock?: Clock;
  supersedeCheckMs?: number;
  /** Inspects before a started container's healthcheck reports its verdict. */
  healthyAfterInspects?: number;
  /** Options of every recording node (e.g. `images: []` so that every image is pulled). */
  nodeOptions?: RecordingNodeOptions;
  registryAuth?: RegistryAuth;
  log?: Logger;
}

export async function startFlow(options: FlowOptions = {}): Promise<Flow> {
  const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-flow-'));
  const source = new MemorySource();
  const recording = new Map(NODE_NAMES.map((n) => [n, new RecordingDockerNode(n, { ...options.nodeOptions, ...(options.healthyAfterInspects ? { healthyAfterInspects: options.healthyAfterInspects } : {}) })]));
  const events: FleetEvent[] = [];
  const clock = options.clock ?? new InstantClock();
  const build = async () => {
    const metrics = new FlotillaMetrics(false);
    const reconciler = new Reconciler({
      source,
      pool: new NodePool((spec) => recording.get(spec.name) as RecordingDockerNode, () => clock.now()),
      store: new StateStore(stateDir),
      metrics,
      log: options.log ?? silentLogger(),
      clock,
      branch: 'main',
      nodeGraceMs: 60_000,
      healthGate: true,
      snapshot: new GoodSnapshot(stateDir),
      notifier: { notify: (e) => events.push(e) },
      ...(options.supersedeCheckMs ? { supersedeCheckMs: options.supersedeCheckMs } : {}),
      ...(options.registryAuth ? { registryAuth: options.registryAuth } : {}),
    });
    await reconciler.init();
    return { reconciler, metrics };
  };
  const flow: Flow = {
    source,
    nodes: recording,
    events,
    stateDir,
    ...(await build()),
    run: () => flow.reconciler.reconcile({ reasons: ['test'], signal: new AbortController().signal }),
    restart: async () => {
      Object.assign(flow, await build());
    },
  };
  return flow;
}

/** A compose file of services `web`, `api` and `worker`, with per-service image and env overrides. */
export function shopCompose(o: { web?: string; api?: string; worker?: string; env?: string; failureAction?: string; order?: string; replicas?: number } = {}): string {
  const service = (name: string, image: string) => `  ${name}:
    image: ${image}
    environment: { VERSION: "${o.env ?? '1'}" }
    healthcheck: { test: ["CMD", "true"], interval: 1s, retries: 1 }
    deploy:
      replicas: ${o.replicas ?? 3}
      update_config: { parallelism: 1, monitor: 2s, failure_action: ${o.failureAction ?? 'rollback'}, order: ${o.order ?? 'stop-first'} }
      rollback_config: { parallelism: 0, monitor: 1s }
`;
  return `services:\n${service('web', o.web ?? 'web:1')}${service('api', o.api ?? 'api:1')}${service('worker', o.worker ?? 'worker:1')}`;
}

/** Every container of the cluster across nodes, as "name image state". */
export async function fleetView(flow: Flow): Promise<string[]> {
  const out: string[] = [];
  for (const node of flow.nodes.values()) {
    for (const c of await node.listContainers()) out.push(`${c.name} ${c.image} ${c.state}`);
  }
  return out.sort();
}
