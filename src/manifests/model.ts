// The typed, normalized desired state that every later stage (scheduler, planner,
// executor) works from. Loading fills in every default here, so consumers never have to
// ask "was this set?": an absent Compose key has exactly one meaning, decided in one place.
import type { SecretBytes } from './secret-bytes.js';

export interface TlsFiles {
  /** Repo-relative or absolute paths of PEM files (never the key material itself). */
  ca?: string;
  cert?: string;
  key?: string;
}

export interface NodeSpec {
  name: string;
  /** '' for a Swarm node, which Flotilla reaches through a manager only. */
  endpoint: string;
  tls?: TlsFiles;
  labels: Record<string, string>;
  /** Where the node's published ports are reached (cluster.yaml `address`), when written. */
  address?: string;
}

export interface SyncPolicy {
  prune: boolean;
  selfHeal: boolean;
  revert: boolean;
  /** Only commits signed by one of these keys are applied (files on the controller's host). */
  verifySignatures?: { keys: string[] };
}

export interface AdmissionPolicy {
  allowPrivileged: boolean;
  allowHostNetwork: boolean;
  allowBindMounts: string[];
  /** Host-reaching Compose keys, each refused unless its switch is on (absent: off). */
  allowDevices?: boolean;
  allowSecurityOpt?: boolean;
  allowHostNamespaces?: boolean;
  allowCgroupParent?: boolean;
}

export type NotificationEvent = 'deployed' | 'failed' | 'reverted' | 'drift' | 'validation_failed' | 'node_down' | 'untrusted';

export interface NotificationSpec {
  name: string;
  provider: 'slack' | 'webhook' | 'github' | 'gitlab';
  events: NotificationEvent[];
  /** Provider options as written (URLs, repository names, secret file/env references). */
  options: Record<string, unknown>;
}

/**
 * Credentials for one registry host, read from a file on the controller's machine at pull
 * time (never from Git): a Docker config.json or a {username, password} / token file.
 */
export interface RegistrySpec {
  /** As written (e.g. registry.example.com:5000, ghcr.io, docker.io). */
  host: string;
  auth: { file: string };
}

export interface StackRef {
  name: string;
  compose: string;
  /** Compose profiles this cluster enables for the stack (`*`: all); absent: none, as in Compose. */
  profiles?: string[];
}

/** `hosts`: Flotilla places containers on each node itself; `swarm`: one Swarm service per Compose service. */
export type ClusterEngine = 'hosts' | 'swarm';

export interface SwarmSettings {
  /** Engine API endpoints of Swarm managers, tried in order. */
  managers: string[];
}

export interface ClusterSpec {
  name: string;
  file: string;
  /** Absent means hosts (the default), so a cluster file without spec.engine loads exactly as before. */
  engine?: ClusterEngine;
  /** Present when `engine` is swarm. */
  swarm?: SwarmSettings;
  nodes: NodeSpec[];
  stacks: StackRef[];
  sync: SyncPolicy;
  policy: AdmissionPolicy;
  notifications: NotificationSpec[];
  registries: RegistrySpec[];
}

export interface PortSpec {
  /** Container port. */
  target: number;
  /** Host port; undefined means Docker picks an ephemeral one (never conflicts). */
  published?: number;
  protocol: 'tcp' | 'udp';
  hostIp?: string;
  /** Long syntax `mode`, when written: Swarm publishes through the routing mesh (ingress) or on the task's node (host). */
  mode?: 'host' | 'ingress';
}

export type MountSpec =
  | { type: 'volume'; source?: string; target: string; readOnly: boolean }
  | { type: 'bind'; source: string; target: string; readOnly: boolean }
  | { type: 'tmpfs'; target: string; readOnly: boolean };

export interface HealthcheckSpec {
  /** Docker form: ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]. */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

export type FailureAction = 'rollback' | 'pause' | 'continue';

export interface UpdateConfig {
  parallelism: number;
  delayMs: number;
  failureAction: FailureAction;
  monitorMs: number;
  maxFailureRatio: number;
  order: 'stop-first' | 'start-first';
}

export interface ResourceSpec {
  /** CPUs in units of 1e-9 CPU, as Docker's NanoCpus. */
  nanoCpus?: number;
  memoryBytes?: number;
}

/** A parsed Swarm placement constraint such as `node.labels.zone!=b`. */
export interface PlacementConstraint {
  /** `name` for node.name/node.hostname, `label` for node.labels.<key>. */
  field: 'name' | 'label';
  labelKey?: string;
  operator: '==' | '!=';
  value: string;
  /** The text as written, for messages. */
  text: string;
}

export interface PlacementSpec {
  constraints: PlacementConstraint[];
  /** Label keys to spread over, in order (from `spread: node.labels.<key>`). */
  spreadLabels: string[];
  maxReplicasPerNode?: number;
}

export interface RestartPolicySpec {
  condition: 'none' | 'on-failure' | 'any';
  maxAttempts?: number;
}

export type DependencyConditionName = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DependencyCondition {
  condition: DependencyConditionName;
  /** `required: false`: a dependency with no replica to wait for is skipped, not a failure. */
  required: boolean;
}

export interface DeploySpec {
  mode: 'replicated' | 'global';
  /** Replica count for replicated mode; ignored for global. */
  replicas: number;
  placement: PlacementSpec;
  updateConfig: UpdateConfig;
  rollbackConfig: UpdateConfig;
  limits: ResourceSpec;
  reservations: ResourceSpec;
  restartPolicy?: RestartPolicySpec;
  labels: Record<string, string>;
  /** `deploy.endpoint_mode`, when written; only a Swarm service has a virtual IP to choose against. */
  endpointMode?: 'vip' | 'dnsrr';
}

export interface ServiceSpec {
  stack: string;
  name: string;
  image: string;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  ports: PortSpec[];
  mounts: MountSpec[];
  /** Stack-level network names this service joins (already resolved to `default` if none). */
  networks: string[];
  /** `networks.<n>.aliases` / `ipv4_address`, by stack network name; absent when none is written. */
  networkEndpoints?: Record<string, NetworkEndpoint>;
  networkMode?: string;
  labels: Record<string, string>;
  healthcheck?: HealthcheckSpec;
  restart: string;
  user?: string;
  workingDir?: string;
  capAdd: string[];
  capDrop: string[];
  readOnly: boolean;
  init: boolean;
  stopGracePeriodMs?: number;
  stopSignal?: string;
  extraHosts: string[];
  /** Services this one is rolled after (every depends_on entry, short or long form). */
  dependsOn: string[];
  /**
   * The long form's `condition` per dependency (dependency-conditions.ts): what the
   * dependency's replicas must be before this service's replicas are created or started.
   * Absent when depends_on uses the short form only (ordering, as before).
   */
  dependencyConditions?: Record<string, DependencyCondition>;
  /**
   * A one-shot job: another service waits for it with `service_completed_successfully`, so
   * its containers run to exit 0 (success, not drift) and are never restarted by Docker.
   */
  runsOnce?: boolean;
  /** `platform` (os/arch[/variant], arch normalized): a scheduling constraint, and sent on pull and create. */
  platform?: string;
  privileged: boolean;
  deploy: DeploySpec;
  /** Compose keys that map one-to-one onto the container; absent when not written. */
  exposed?: string[];
  hostname?: string;
  domainname?: string;
  /** `container_name`: the one replica's container is named this instead of <stack>-<service>-1. */
  containerName?: string;
  stdinOpen?: boolean;
  tty?: boolean;
  shmSizeBytes?: number;
  dns?: string[];
  dnsSearch?: string[];
  /** `x-flotilla.metrics-port`: the published container port Prometheus scrapes (flotilla-extension.ts). */
  metricsPort?: number;
  /** Host-config keys (host-config-keys.ts); absent when not written. */
  sysctls?: Record<string, string>;
  ulimits?: Array<{ name: string; soft: number; hard: number }>;
  runtime?: string;
  logging?: { driver: string; options: Record<string, string> };
  pidsLimit?: number;
  groupAdd?: string[];
  dnsOptions?: string[];
  cpuShares?: number;
  memorySwapBytes?: number;
  devices?: string[];
  securityOpt?: string[];
  pidMode?: string;
  ipcMode?: string;
  usernsMode?: string;
  cgroupParent?: string;
  /** Configs, secrets and repo bind mounts copied into the container before it starts; absent when none. */
  files?: DeliveredFile[];
  /** Variables of `environment` whose values come from encrypted files: name -> keyed digest (secrets/sealed-env.ts). */
  sealedEnv?: Record<string, string>;
}

/**
 * A config, a secret, or a file or folder of the repo bind-mounted by a relative path: its
 * bytes are uploaded into every container of the service before it starts. Content is
 * held in memory only; `digest` is what reaches labels, plans and the spec hash.
 */
export interface DeliveredFile {
  kind: 'config' | 'secret';
  /** The config or secret name, or the repo path of a bind-mounted file or folder. */
  name: string;
  /** Absolute path in the container: the file, or the folder the entries go under. */
  target: string;
  directory: boolean;
  uid: number;
  gid: number;
  /** Permission bits of the file (a folder's files keep their Git mode, 0644 or 0755). */
  mode: number;
  /** sha256 (configs) or HMAC-SHA256 under the cluster's digest key (secrets), 16 hex digits. */
  digest: string;
  entries: DeliveredEntry[];
}

export interface DeliveredEntry {
  /** Relative to the target ('' for a single file). */
  path: string;
  mode: number;
  content: FileContent;
}

/** Config bytes travel as base64 (snapshots keep them); secret bytes never serialize (see secret-bytes.ts). */
export type FileContent = { base64: string } | SecretBytes;

export interface NetworkEndpoint {
  /** DNS names besides the service name. */
  aliases: string[];
  ipv4Address?: string;
}

/** Top-level `ipam` of a network, as written (Docker's IPAM section of a network create). */
export interface IpamSpec {
  driver?: string;
  config: Array<{ subnet?: string; gateway?: string; ipRange?: string }>;
}

export interface NetworkSpec {
  /** Name inside the stack (`default` for the implicit one). */
  name: string;
  /** Name of the Docker network on a node: `<stack>_<name>`, or as declared for external ones. */
  dockerName: string;
  driver?: string;
  internal: boolean;
  external: boolean;
  labels: Record<string, string>;
  ipam?: IpamSpec;
}

export interface VolumeSpec {
  /** Name inside the stack. */
  name: string;
  /** Name of the Docker volume on a node: `<stack>_<name>`, or as declared for external ones. */
  dockerName: string;
  driver?: string;
  driverOpts: Record<string, string>;
  external: boolean;
  labels: Record<string, string>;
}

export interface StackSpec {
  name: string;
  /** Repo-relative path of the Compose file. */
  file: string;
  services: ServiceSpec[];
  networks: NetworkSpec[];
  volumes: VolumeSpec[];
}

/** Everything a commit of the config repo declares for one cluster. */
export interface DesiredState {
  /** Commit id, or a content hash for a plain directory. */
  revision: string;
  cluster: ClusterSpec;
  stacks: StackSpec[];
}
