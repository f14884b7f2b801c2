// A config repository for a test fleet, kept on the test Git server: cluster.yaml naming the
// fleet's nodes, one Compose file per stack, committed the way a developer pushes. Tests
// describe the cluster as data, change it, and commit; the helper writes the YAML and
// deletes the files of stacks that went away.
import { stringify } from 'yaml';
import type { Fleet } from './fleet.js';
import type { GitServer } from './git-server.js';
import type { FileChanges } from './git-workcopy.js';
import { WEB_HEALTHCHECK_CMD, WEB_HEALTHY } from './images.js';

export interface ClusterNode {
  name: string;
  /** Left out for the nodes of a swarm, which Flotilla reaches through a manager. */
  endpoint?: string;
  /** cluster.yaml `address`: where the node's published ports are reached. */
  address?: string;
  labels?: Record<string, string>;
}

export interface SyncPolicy {
  prune?: boolean;
  selfHeal?: boolean;
  revert?: boolean;
  /** Trusted key files: only commits signed by one of them are applied. */
  verifySignatures?: { keys: string[] };
}

export interface ClusterConfig {
  /** metadata.name, and the directory under clusters/. */
  name: string;
  nodes: ClusterNode[];
  /** Stack name to its Compose document: an object (written as YAML) or raw text (for broken files). */
  stacks: Record<string, object | string>;
  sync?: SyncPolicy;
  /** `swarm` with the managers' endpoints; plain hosts when left out. */
  swarm?: { manager: string[] };
  /** spec.registries: credentials per registry host, from files on the controller's machine. */
  registries?: Array<{ host: string; auth: { file: string } }>;
}

/** Path of the cluster file of a cluster, as `--path` takes its directory. */
export function clusterPath(name: string): string {
  return `clusters/${name}`;
}

/** The repository files of a cluster: cluster.yaml and stacks/<stack>/compose.yaml. */
export function clusterFiles(config: ClusterConfig): Record<string, string> {
  const cluster = {
    apiVersion: 'flotilla/v1alpha1',
    kind: 'Cluster',
    metadata: { name: config.name },
    spec: {
      ...(config.swarm ? { engine: 'swarm', swarm: config.swarm } : {}),
      nodes: config.nodes.map((n) => ({ name: n.name, ...(n.endpoint !== undefined ? { endpoint: n.endpoint } : {}), ...(n.address !== undefined ? { address: n.address } : {}), ...(n.labels ? { labels: n.labels } : {}) })),
      stacks: Object.keys(config.stacks).map((name) => ({ name, compose: composePath(name) })),
      sync: { prune: true, selfHeal: true, revert: true, ...config.sync },
      ...(config.registries ? { registries: config.registries } : {}),
    },
  };
  const files: Record<string, string> = { [`${clusterPath(config.name)}/cluster.yaml`]: stringify(cluster) };
  for (const [name, doc] of Object.entries(config.stacks)) files[composePath(name)] = typeof doc === 'string' ? doc : stringify(doc);
  return files;
}

function composePath(stack: string): string {
  return `stacks/${stack}/compose.yaml`;
}

export interface FleetNodesOptions {
  /** Labels per node name. */
  labels?: Record<string, Record<string, string>>;
  /** Nodes declared with their tcp:// endpoint instead of unix://. */
  tcp?: readonly string[];
}

/** The fleet's nodes as cluster.yaml declares them. */
export function fleetClusterNodes(fleet: Pick<Fleet, 'nodes'>, options: FleetNodesOptions = {}): ClusterNode[] {
  return fleet.nodes.map((n) => ({
    name: n.name,
    endpoint: options.tcp?.includes(n.name) ? n.tcpEndpoint : n.endpoint,
    ...(options.labels?.[n.name] ? { labels: options.labels[n.name] } : {}),
  }));
}

export interface WebServiceOptions {
  image?: string;
  replicas?: number;
  mode?: 'replicated' | 'global';
  /** Fixed host port published for container port 80. */
  port?: number;
  environment?: Record<string, string>;
  constraints?: string[];
  /** A `spread` preference, e.g. node.labels.zone. */
  spread?: string;
  maxReplicasPerNode?: number;
  /** Compose healthcheck with a 1 s interval (default true); false leaves it out (and disables the image's). */
  healthcheck?: boolean;
  /** update_config.monitor (default 1s). */
  monitor?: string;
  /** update_config.parallelism (default 0: every replica of the service at once). */
  parallelism?: number;
  order?: 'stop-first' | 'start-first';
  dependsOn?: string[];
}

/** A service of the test web image with short health timings, as fast tests need. */
export function webService(o: WebServiceOptions = {}): Record<string, unknown> {
  const placement: Record<string, unknown> = {};
  if (o.constraints) placement.constraints = o.constraints;
  if (o.spread) placement.preferences = [{ spread: o.spread }];
  if (o.maxReplicasPerNode !== undefined) placement.max_replicas_per_node = o.maxReplicasPerNode;
  const deploy: Record<string, unknown> = {
    ...(o.mode === 'global' ? { mode: 'global' } : { replicas: o.replicas ?? 1 }),
    update_config: { parallelism: o.parallelism ?? 0, monitor: o.monitor ?? '1s', order: o.order ?? 'stop-first' },
  };
  if (Object.keys(placement).length > 0) deploy.placement = placement;
  return {
    image: o.image ?? WEB_HEALTHY,
    ...(o.environment ? { environment: o.environment } : {}),
    ...(o.port !== undefined ? { ports: [`${o.port}:80`] } : {}),
    healthcheck: o.healthcheck === false ? { disable: true } : { test: ['CMD-SHELL', WEB_HEALTHCHECK_CMD], interval: '1s', timeout: '2s', retries: 2 },
    stop_grace_period: '2s',
    ...(o.dependsOn ? { depends_on: o.dependsOn } : {}),
    deploy,
  };
}

/** A Compose document of web services by name. */
export function webStack(services: Record<string, WebServiceOptions>): { services: Record<string, unknown> } {
  return { services: Object.fromEntries(Object.entries(services).map(([name, o]) => [name, webService(o)])) };
}

/** A config repository on the test Git server that follows a ClusterConfig. */
export class ConfigRepo {
  private written = new Set<string>();
  private current: ClusterConfig | undefined;

  private constructor(
    readonly git: GitServer,
    readonly repo: string,
  ) {}

  /** Creates the repository and commits the first version of the cluster. */
  static async create(git: GitServer, repo: string, config: ClusterConfig, message = 'initial cluster'): Promise<{ repo: ConfigRepo; sha: string }> {
    await git.createRepo(repo);
    const r = new ConfigRepo(git, repo);
    const sha = await r.commit(config, message);
    return { repo: r, sha };
  }

  get url(): string {
    return this.git.url(this.repo);
  }

  get config(): ClusterConfig {
    if (!this.current) throw new Error('nothing committed yet');
    return structuredClone(this.current);
  }

  /** Commits the cluster as given (files of stacks no longer listed are deleted); resolves with the sha. */
  async commit(config: ClusterConfig, message: string, extra: FileChanges = {}): Promise<string> {
    const files: FileChanges = clusterFiles(config);
    for (const path of this.written) if (!(path in files)) files[path] = null;
    Object.assign(files, extra);
    const sha = await this.git.commitFiles(this.repo, files, message);
    this.written = new Set(Object.keys(files).filter((p) => files[p] !== null));
    this.current = structuredClone(config);
    return sha;
  }

  /** Commits a change made to a copy of the current config. */
  async update(change: (config: ClusterConfig) => void, message: string, extra: FileChanges = {}): Promise<string> {
    const next = this.config;
    change(next);
    return this.commit(next, message, extra);
  }
}
