// A fleet of real Docker hosts for integration tests: each node is its own dockerd in its
// own network namespace, reachable from the test process at the node's address.
import { daemonLayout, killDaemon, startDaemon, type DaemonSpec } from './dockerd.js';
import { claimFleetIndex, destroyFleet, fleetCgroup, fleetDir, sweepStaleFleets } from './fleet-claim.js';
import { createFleetNetwork, createNodeNetwork, fleetNetwork, nodeNetwork } from './netns.js';

export interface FleetNode {
  readonly name: string;
  /** The node's own address; its published ports and its TCP API answer here. */
  readonly address: string;
  readonly socketPath: string;
  /** `unix://<socketPath>`, the form a cluster.yaml node endpoint takes. */
  readonly endpoint: string;
  /** `tcp://<address>:2375` (plain HTTP, no TLS). */
  readonly tcpEndpoint: string;
  readonly logFile: string;
  readonly netns: string;
  readonly hostLink: string;
  readonly dir: string;
}

export interface Fleet {
  readonly name: string;
  readonly index: number;
  /** The fleet's /24; the host is `gateway` on it. */
  readonly subnet: string;
  readonly gateway: string;
  readonly bridge: string;
  readonly dir: string;
  readonly nodes: readonly FleetNode[];
  node(name: string): FleetNode;
  /** Crashes the node: dockerd and all its containers are SIGKILLed; data stays. */
  stopNode(name: string): Promise<void>;
  /** Starts the node's dockerd again on the same data root; resolves once it answers. */
  startNode(name: string): Promise<void>;
  /** Tears everything down. Idempotent. */
  stop(): Promise<void>;
}

export interface FleetOptions {
  nodes: number;
  name?: string;
  /** How long one daemon may take to answer /_ping (default 60 s). */
  readyTimeoutMs?: number;
}

const live = new Set<FleetImpl>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // Safety net for tests that throw before their finally, or a runner that cancels them.
  process.on('exit', destroyAllLive);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      destroyAllLive();
      process.exit(code);
    });
  }
}

function destroyAllLive(): void {
  for (const fleet of [...live]) {
    try {
      fleet.destroy();
    } catch (err) {
      console.error(`fleet ${fleet.name}: teardown failed: ${(err as Error).message}`);
    }
  }
}

export function nodeName(slot: number): string {
  return `node-${String.fromCharCode(97 + slot)}`;
}

class FleetImpl implements Fleet {
  readonly subnet: string;
  readonly gateway: string;
  readonly bridge: string;
  readonly dir: string;
  readonly nodes: FleetNode[];
  private readonly specs = new Map<string, DaemonSpec>();
  private destroyed = false;

  constructor(
    readonly name: string,
    readonly index: number,
    count: number,
    readyTimeoutMs: number,
  ) {
    const net = fleetNetwork(index);
    this.subnet = net.subnet;
    this.gateway = net.gateway;
    this.bridge = net.bridge;
    this.dir = fleetDir(index);
    this.nodes = [];
    for (let slot = 0; slot < count; slot++) {
      const name = nodeName(slot);
      const nn = nodeNetwork(index, slot, name);
      const layout = daemonLayout(`${this.dir}/${name}`);
      this.nodes.push({
        name,
        address: nn.address,
        socketPath: layout.socketPath,
        endpoint: `unix://${layout.socketPath}`,
        tcpEndpoint: `tcp://${nn.address}:2375`,
        logFile: layout.logFile,
        netns: nn.netns,
        hostLink: nn.hostLink,
        dir: layout.dir,
      });
      this.specs.set(name, {
        nodeName: name,
        layout,
        netnsPath: nn.netnsPath,
        address: nn.address,
        cgroupParent: `${fleetCgroup(index)}/${name}`,
        readyTimeoutMs,
      });
    }
  }

  async setUp(): Promise<void> {
    const net = fleetNetwork(this.index);
    await createFleetNetwork(net);
    // allSettled, not all: tearing down while a sibling node is still being created would
    // let that node recreate its namespace after the teardown.
    const results = await Promise.allSettled(
      this.nodes.map(async (node, slot) => {
        await createNodeNetwork(net, nodeNetwork(this.index, slot, node.name));
        await startDaemon(this.spec(node.name));
      }),
    );
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    if (failures.length > 0) throw new Error(failures.map((e) => e.message).join('\n\n'));
  }

  node(name: string): FleetNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`fleet ${this.name} has no node ${name} (it has ${this.nodes.map((n) => n.name).join(', ')})`);
    return node;
  }

  private spec(name: string): DaemonSpec {
    this.node(name);
    if (this.destroyed) throw new Error(`fleet ${this.name} is already stopped`);
    return this.specs.get(name) as DaemonSpec;
  }

  async stopNode(name: string): Promise<void> {
    killDaemon(this.spec(name));
  }

  async startNode(name: string): Promise<void> {
    const spec = this.spec(name);
    // Whatever is left of an earlier run of this daemon would hold its pid file and socket.
    killDaemon(spec);
    await startDaemon(spec);
  }

  async stop(): Promise<void> {
    this.destroy();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      destroyFleet(this.index);
    } finally {
      live.delete(this);
    }
  }
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 26) {
    throw new Error(`startFleet: nodes must be 1..26, got ${opts.nodes}`);
  }
  installExitHooks();
  sweepStaleFleets();
  const name = opts.name ?? 'fleet';
  const fleet = new FleetImpl(name, claimFleetIndex(name), opts.nodes, opts.readyTimeoutMs ?? 60_000);
  live.add(fleet);
  try {
    await fleet.setUp();
  } catch (err) {
    fleet.destroy();
    throw err;
  }
  return fleet;
}
