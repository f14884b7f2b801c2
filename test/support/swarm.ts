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

export async function startSwarm(name: string): Promise<TestSwarm> {
  const fleet = await startFleet({ nodes: 3, name });
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
