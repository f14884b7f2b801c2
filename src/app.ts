// The composition root: every side effect (Git, Docker, disk, clock, logs, metrics) is built
// here once, and handed to the pure core and the reconciler as small interfaces.
import type { AgeKeyring } from './manifests/secrets/age-identities.js';
import { resolve } from 'node:path';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { Logger } from './log.js';
import { FlotillaMetrics } from './metrics.js';
import { EngineNode } from './docker/engine-node.js';
import { NodePool, type NodeFactory } from './docker/node-pool.js';
import { openGitSource, type GitSource } from './sync/git-source.js';
import { StateStore } from './state.js';
import { Reconciler } from './reconcile/reconciler.js';
import { HostsEngine } from './engine/hosts/hosts-engine.js';
import { EngineSelector } from './engine/select-engine.js';
import { SwarmEngine } from './engine/swarm/swarm-engine.js';
import { GoodSnapshot } from './reconcile/rollout/good-snapshot.js';
import type { ExecutorEvent } from './reconcile/execute/execution-types.js';
import type { Notifier } from './notify/types.js';
import { NotificationDispatcher } from './notify/dispatcher.js';
import type { SecretRedactor } from './log.js';
import { loadOrCreateDigestKey } from './manifests/file-digest.js';
import { RegistryAuthResolver } from './docker/registry/auth-resolver.js';

export interface AppOptions {
  repo: string;
  branch: string;
  clusterPath?: string;
  stateDir: string;
  gitToken?: string;
  nodeGraceMs: number;
  healthGate: boolean;
  /** Process metrics (event loop, memory) for the daemon; off for one-shot commands. */
  defaultMetrics: boolean;
  log: Logger;
  clock?: Clock;
  notifier?: Notifier;
  /** The logger's redactor: notification secrets are registered with it as they are read. */
  secrets?: SecretRedactor;
  /** How often to look for a newer commit during a rollout (0: never). */
  supersedeCheckMs?: number;
  /** The controller's Docker config.json (--docker-config, DOCKER_CONFIG, ~/.docker), for pull credentials. */
  dockerConfigFile?: string;
  /** age identities for files committed encrypted (--age-key-file); without them such a commit is invalid. */
  ageKeys?: AgeKeyring;
  /** --verify-signatures: trusted key files; every commit must be signed by one of them. */
  verifySignatures?: string[];
  requestFollowUp?(reason: string): void;
  onEvent?(event: ExecutorEvent): void;
}

export interface App {
  source: GitSource;
  pool: NodePool;
  metrics: FlotillaMetrics;
  reconciler: Reconciler;
  /** Builds a node client the way the daemon's own pool does (pull-request reviews keep their own pool). */
  nodeFactory: NodeFactory;
  /** Delivers the reconciler's events; drain and close it on shutdown. */
  notifications?: NotificationDispatcher;
  /** The key secret digests are made with; pull-request reviews use it too. */
  digestKey: Buffer;
}

export async function buildApp(options: AppOptions): Promise<App> {
  const log = options.log;
  const source = openGitSource({
    repo: options.repo,
    branch: options.branch,
    stateDir: options.stateDir,
    ...(options.gitToken ? { token: options.gitToken } : {}),
    log: (event) => log.debug({ git: event }, 'git'),
  });
  // TLS files named in cluster.yaml are paths on the daemon's machine, relative to where it runs.
  const baseDir = resolve('.');
  const nodeFactory: NodeFactory = (spec) => EngineNode.fromSpec(spec, { baseDir });
  const pool = new NodePool(nodeFactory, () => (options.clock ?? systemClock).now());
  const metrics = new FlotillaMetrics(options.defaultMetrics);
  const store = new StateStore(options.stateDir);
  // Registry credentials are read at pull time; every secret found goes to the log scrubber first.
  const registryAuth = new RegistryAuthResolver({
    baseDir,
    ...(options.dockerConfigFile ? { dockerConfigFile: options.dockerConfigFile } : {}),
    ...(options.secrets ? { onSecret: (value: string) => options.secrets?.add(value) } : {}),
  });
  const notifications = options.notifier ? undefined : new NotificationDispatcher({ metrics, log, ...(options.secrets ? { secrets: options.secrets } : {}) });
  const notifier = options.notifier ?? notifications;
  const clock = options.clock ?? systemClock;
  const engine = new EngineSelector(new HostsEngine({ pool, clock, nodeGraceMs: options.nodeGraceMs, healthGate: options.healthGate }), (swarm) => new SwarmEngine(swarm));
  const digestKey = await loadOrCreateDigestKey(options.stateDir);
  const reconciler = new Reconciler({
    source,
    pool,
    engine,
    store,
    metrics,
    log,
    clock: options.clock ?? systemClock,
    branch: options.branch,
    ...(options.clusterPath ? { clusterPath: options.clusterPath } : {}),
    nodeGraceMs: options.nodeGraceMs,
    healthGate: options.healthGate,
    snapshot: new GoodSnapshot(options.stateDir),
    digestKey,
    ...(options.ageKeys ? { ageKeys: options.ageKeys } : {}),
    ...(options.secrets ? { onSecretValue: (value: string) => options.secrets?.add(value) } : {}),
    registryAuth,
    ...(options.verifySignatures ? { verifySignatures: options.verifySignatures } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(notifier ? { notifier } : {}),
    ...(options.supersedeCheckMs ? { supersedeCheckMs: options.supersedeCheckMs } : {}),
    ...(options.requestFollowUp ? { requestFollowUp: options.requestFollowUp } : {}),
  });
  await reconciler.init();
  return { source, pool, metrics, reconciler, nodeFactory, digestKey, ...(notifications ? { notifications } : {}) };
}
