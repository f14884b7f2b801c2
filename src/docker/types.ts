// What Flotilla sees of a node, and the narrow interface through which it acts on one.
// The real implementation is over dockerode; unit tests use a recording fake.

export interface NodeFacts {
  cpus: number;
  memoryBytes: number;
  serverVersion: string;
  /** `OSType` (linux, windows) and `Architecture` normalized to image names (amd64, arm64); absent when Docker does not say. */
  os?: string;
  arch?: string;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface PublishedPort {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIp?: string;
}

/** One container as the single list call per node reports it (no inspect). */
export interface ObservedContainer {
  id: string;
  /** Without the leading "/". */
  name: string;
  node: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
  health?: 'starting' | 'healthy' | 'unhealthy';
  publishedPorts: PublishedPort[];
  /** Unix seconds. */
  createdAt: number;
  /** The exit code of an exited container, from the list's Status ("Exited (0) 3 seconds ago"). */
  exitCode?: number;
}

export interface ObservedNode {
  name: string;
  up: boolean;
  /** Why the node could not be observed, when it is down. */
  error?: string;
  /**
   * Whether the scheduler may place work on the node, when the engine has such a notion:
   * Swarm's availability (`active`, `pause`, `drain`, set by an operator). Absent on plain hosts.
   */
  availability?: 'active' | 'pause' | 'drain';
  /** Capacity from `docker info`; cached per connection, absent if never known. */
  facts?: NodeFacts;
  /** Every container on the node, managed or not. */
  containers: ObservedContainer[];
}

export interface ObservedState {
  nodes: ObservedNode[];
}

/** The Docker Engine API body of POST /containers/create, as Flotilla builds it. */
export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env: string[];
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  User?: string;
  WorkingDir?: string;
  StopSignal?: string;
  StopTimeout?: number;
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number };
  Hostname?: string;
  Domainname?: string;
  OpenStdin?: boolean;
  Tty?: boolean;
  HostConfig: {
    PortBindings?: Record<string, Array<{ HostIp: string; HostPort: string }>>;
    Mounts?: Array<{ Type: 'volume' | 'bind' | 'tmpfs'; Source?: string; Target: string; ReadOnly: boolean }>;
    RestartPolicy: { Name: string; MaximumRetryCount?: number };
    CapAdd?: string[];
    CapDrop?: string[];
    ReadonlyRootfs?: boolean;
    Init?: boolean;
    Privileged?: boolean;
    NetworkMode: string;
    ExtraHosts?: string[];
    NanoCpus?: number;
    Memory?: number;
    MemoryReservation?: number;
    ShmSize?: number;
    Dns?: string[];
    DnsSearch?: string[];
    DnsOptions?: string[];
    Sysctls?: Record<string, string>;
    Ulimits?: Array<{ Name: string; Soft: number; Hard: number }>;
    Runtime?: string;
    LogConfig?: { Type: string; Config: Record<string, string> };
    PidsLimit?: number;
    GroupAdd?: string[];
    CpuShares?: number;
    MemorySwap?: number;
    Devices?: Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }>;
    SecurityOpt?: string[];
    PidMode?: string;
    IpcMode?: string;
    UsernsMode?: string;
    CgroupParent?: string;
  };
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointSettings> };
}

/** One network endpoint of a container, as the Engine API takes it at create or connect. */
export interface EndpointSettings {
  Aliases: string[];
  /** Only with a Compose `ipv4_address`. */
  IPAMConfig?: { IPv4Address: string };
}

export interface NetworkCreate {
  name: string;
  driver?: string;
  internal: boolean;
  labels: Record<string, string>;
  /** The Engine API's IPAM section; only with a Compose `ipam`. */
  ipam?: { Driver?: string; Config: Array<{ Subnet?: string; Gateway?: string; IPRange?: string }> };
}

export interface VolumeCreate {
  name: string;
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
}

/** What a pull sends to its registry: the X-Registry-Auth value, and where it came from (for messages, never the credential). */
export interface PullCredentials {
  header: string;
  source: string;
}

/** What the executor and observer may do to one node. Every method names the node in its errors. */
export interface DockerNode {
  readonly name: string;
  /** The one observation call per cycle: every container, with labels and state. */
  listContainers(): Promise<ObservedContainer[]>;
  info(): Promise<NodeFacts>;
  ping(): Promise<void>;
  hasImage(ref: string): Promise<boolean>;
  /** Without credentials the pull is anonymous; `platform` (os/arch[/variant]) picks the image of that platform. */
  pullImage(ref: string, credentials?: PullCredentials, platform?: string): Promise<void>;
  /** Idempotent: an existing network of that name is left as it is. */
  ensureNetwork(spec: NetworkCreate): Promise<void>;
  ensureVolume(spec: VolumeCreate): Promise<void>;
  /** `platform` (Compose `platform`) makes Docker use the local image of that platform, or refuse. */
  createContainer(name: string, body: ContainerCreateBody, platform?: string): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  renameContainer(id: string, newName: string): Promise<void>;
  /**
   * Joins a further network (the first one is set at create through NetworkMode and
   * NetworkingConfig). Idempotent: an already connected container is left as it is.
   */
  connectNetwork(id: string, network: string, aliases: string[], ipv4Address?: string): Promise<void>;
  /**
   * Extracts a tar archive into a container at `path` (PUT /containers/{id}/archive): how
   * configs and secrets reach a created container before it starts.
   */
  putArchive(id: string, path: string, tar: Buffer): Promise<void>;
  /** Inspect of one container: state, health and restart count, for health gates. */
  inspectContainer(id: string): Promise<ContainerHealthView>;
}

export interface ContainerHealthView {
  id: string;
  name: string;
  state: ContainerState;
  health?: 'starting' | 'healthy' | 'unhealthy';
  restartCount: number;
  exitCode: number;
  startedAt: string;
  error: string;
}
