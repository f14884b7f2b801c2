// A real Docker Swarm for integration tests: one manager and two workers, each a fleet node
// (its own dockerd, network namespace and hostname), joined with the docker CLI exactly as
// an operator would. The test images are imported on every node, since there is no registry.
// This kernel has no IPVS, so tests reach services by dnsrr names and `mode: host` ports.
import { startFleet, type Fleet, type FleetNode } from './fleet.js';
import { loadImages } from './images.js';
import { run } from './exec.js';
import { waitFor } from './wait.js';

export interface TestSwarm {
  fleet: Fleet;
  manager: FleetNode;
  /** `unix://` endpoint of the manager's Engine API, for cluster.yaml's spec.swarm.manager. */
  managerEndpoint: string;
  /** Runs the docker CLI against a node (the manager by default) and resolves with its stdout. */
  docker(args: readonly string[], node?: FleetNode): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Swarm pulls a task's image by tag even when the node has it, and uses the local image only
 * once the pull fails; without a registry that failure waits on DNS and TCP timeouts, about
 * 8 s per task. A proxy on a closed loopback port makes it fail at once. Set only while the
 * daemons start, so nothing else of the test process sees it.
 */
async function withFailFastPulls<T>(start: () => Promise<T>): Promise<T> {
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, HTTP_PROXY: process.env.HTTP_PROXY };
  process.env.HTTPS_PROXY = process.env.HTTP_PROXY = 'http://127.0.0.1:9';
  try {
    return await start();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

export async function startSwarm(name: string): Promise<TestSwarm> {
  const fleet = await withFailFastPulls(() => startFleet({ nodes: 3, name }));
  const docker = async (args: readonly string[], node: FleetNode = manager): Promise<string> => (await run('docker', ['-H', node.endpoint, ...args])).stdout.trim();
  const manager = fleet.nodes[0] as FleetNode;
  try {
    // The workers reach the manager's 2377 and each other's 7946/4789 through the host.
    await run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    await Promise.all([docker(['swarm', 'init', '--advertise-addr', manager.address]), loadImages(fleet)]);
    const token = await docker(['swarm', 'join-token', '-q', 'worker']);
    for (const worker of fleet.nodes.slice(1)) await docker(['swarm', 'join', '--advertise-addr', worker.address, '--token', token, `${manager.address}:2377`], worker);
    await waitFor('three ready swarm nodes', async () => {
      const states = (await docker(['node', 'ls', '--format', '{{.Hostname}} {{.Status}}'])).split('\n');
      return states.filter((s) => s.endsWith(' Ready')).length === 3 ? true : undefined;
    }, { timeoutMs: 30_000 });
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return { fleet, manager, managerEndpoint: manager.endpoint, docker, stop: () => fleet.stop() };
}
