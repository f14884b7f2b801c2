// What really runs on a test fleet, read straight from each node's Docker API (not through
// Flotilla), and out-of-band changes made the way an operator makes them: the docker CLI.
import Docker from 'dockerode';
import type { Fleet, FleetNode } from './fleet.js';
import { run } from './exec.js';
import { httpGet } from './wait.js';

export interface SeenContainer {
  node: string;
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
  /** Published host ports by container port ("80/tcp"). */
  ports: Record<string, number>;
}

const clients = new Map<string, Docker>();

export function dockerOf(node: FleetNode): Docker {
  let client = clients.get(node.socketPath);
  if (!client) {
    client = new Docker({ socketPath: node.socketPath });
    clients.set(node.socketPath, client);
  }
  return client;
}

/** Every container on the given nodes (default: all), managed or not, sorted by name. */
export async function listFleet(fleet: Pick<Fleet, 'nodes'>, only?: readonly string[]): Promise<SeenContainer[]> {
  const nodes = fleet.nodes.filter((n) => !only || only.includes(n.name));
  const perNode = await Promise.all(
    nodes.map(async (node) => {
      const list = await dockerOf(node).listContainers({ all: true });
      return list.map((c): SeenContainer => {
        const ports: Record<string, number> = {};
        for (const p of c.Ports ?? []) if (p.PublicPort) ports[`${p.PrivatePort}/${p.Type}`] = p.PublicPort;
        return { node: node.name, id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State, labels: c.Labels ?? {}, ports };
      });
    }),
  );
  return perNode.flat().sort((a, b) => a.name.localeCompare(b.name) || a.node.localeCompare(b.node));
}

/** Managed containers of one service, by container name. */
export async function serviceContainers(fleet: Pick<Fleet, 'nodes'>, stack: string, service: string): Promise<SeenContainer[]> {
  return (await listFleet(fleet)).filter((c) => c.labels['flotilla.stack'] === stack && c.labels['flotilla.service'] === service);
}

/** "name@node" of each container, sorted: a compact picture of where a service runs. */
export function placementOf(containers: readonly SeenContainer[]): string[] {
  return containers.map((c) => `${c.name}@${c.node}`).sort();
}

/** Runs the docker CLI against one node, as an operator would by hand. */
export async function dockerCli(node: FleetNode, args: readonly string[]): Promise<string> {
  const { stdout } = await run('docker', ['-H', node.endpoint, ...args], { timeoutMs: 30_000 });
  return stdout.trim();
}

/** GET / of the web image at a node's address and published port. */
export async function webBody(node: FleetNode, port: number): Promise<string> {
  const res = await httpGet(`http://${node.address}:${port}/`);
  if (res.status !== 200) throw new Error(`GET http://${node.address}:${port}/ answered ${res.status}`);
  return res.body;
}

/** The environment a web container sees, from its /cgi-bin/env at a node's address and published port. */
export async function webEnv(node: FleetNode, port: number): Promise<Record<string, string>> {
  const res = await httpGet(`http://${node.address}:${port}/cgi-bin/env`);
  if (res.status !== 200) throw new Error(`GET http://${node.address}:${port}/cgi-bin/env answered ${res.status}`);
  const env: Record<string, string> = {};
  for (const line of res.body.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}
