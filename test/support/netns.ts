// The network of a test fleet: one bridge on the host holding the fleet's 10.213.<index>.0/24
// (the host is .1), and per node a network namespace joined to it by a veth pair whose inner
// end is the node's eth0. A bridge rather than one routed pair per node: a /24 on several
// host interfaces would clash in the routing table, and on one segment the nodes reach each
// other like hosts on a LAN without enabling forwarding on the host (so nothing a test
// starts can reach beyond the addresses made here).
import { run, runSync, tryRunSync } from './exec.js';

export interface FleetNetwork {
  bridge: string;
  subnet: string;
  gateway: string;
}

export interface NodeNetwork {
  netns: string;
  netnsPath: string;
  hostLink: string;
  address: string;
}

export function fleetNetwork(index: number): FleetNetwork {
  return { bridge: `flt${index}`, subnet: `10.213.${index}.0/24`, gateway: `10.213.${index}.1` };
}

export function nodeNetwork(index: number, slot: number, nodeName: string): NodeNetwork {
  const netns = `flt${index}-${nodeName}`;
  return { netns, netnsPath: `/var/run/netns/${netns}`, hostLink: `flt${index}v${slot}`, address: `10.213.${index}.${10 + slot}` };
}

/** True when some interface on the host already has an address in the subnet of `index`. */
export function subnetInUse(index: number): boolean {
  const { stdout } = runSync('ip', ['-o', '-4', 'addr', 'show']);
  return stdout.includes(` 10.213.${index}.`);
}

export async function createFleetNetwork(net: FleetNetwork): Promise<void> {
  await run('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `${net.gateway}/24`, 'dev', net.bridge]);
  await run('ip', ['link', 'set', net.bridge, 'up']);
}

export async function createNodeNetwork(fleet: FleetNetwork, node: NodeNetwork): Promise<void> {
  const inNs = (...args: string[]): Promise<unknown> => run('ip', ['-n', node.netns, ...args]);
  await run('ip', ['netns', 'add', node.netns]);
  await run('ip', ['link', 'add', node.hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns]);
  await run('ip', ['link', 'set', node.hostLink, 'master', fleet.bridge]);
  await run('ip', ['link', 'set', node.hostLink, 'up']);
  await inNs('addr', 'add', `${node.address}/24`, 'dev', 'eth0');
  await inNs('link', 'set', 'eth0', 'up');
  await inNs('link', 'set', 'lo', 'up');
  await inNs('route', 'add', 'default', 'via', fleet.gateway);
}

export function listNetns(): string[] {
  return runSync('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

export function listLinks(): string[] {
  return runSync('ip', ['-o', 'link', 'show'])
    .stdout.split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n !== '');
}

/** Links and namespaces that belong to fleet `index`, by naming convention. */
export function fleetNetworkLeftovers(index: number): { links: string[]; netns: string[] } {
  const linkPattern = new RegExp(`^flt${index}(v\\d+)?$`);
  return {
    links: listLinks().filter((l) => linkPattern.test(l)),
    netns: listNetns().filter((n) => n.startsWith(`flt${index}-`)),
  };
}

/** Deletes everything network-side of fleet `index`; must run after its processes are dead. */
export function deleteFleetNetwork(index: number): void {
  const { links, netns } = fleetNetworkLeftovers(index);
  // Deleting the host end takes the namespace end along at once; left to the namespace's
  // destruction it would vanish only later, from a kernel work queue.
  for (const link of links.filter((l) => l !== `flt${index}`)) tryRunSync('ip', ['link', 'del', link]);
  for (const ns of netns) tryRunSync('ip', ['netns', 'del', ns]);
  tryRunSync('ip', ['link', 'del', `flt${index}`]);
  const left = fleetNetworkLeftovers(index);
  if (left.links.length > 0 || left.netns.length > 0) {
    throw new Error(`fleet ${index}: could not delete links [${left.links.join(', ')}] / namespaces [${left.netns.join(', ')}]`);
  }
}
