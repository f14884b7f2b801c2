// Network keys beyond "which networks": a service's `networks.<n>.aliases` and
// `ipv4_address`, and a top-level network's `ipam` (driver, subnet, ip_range, gateway).
// Plain-host networks are per node, so a fixed address is unique per node: two replicas of
// one service on one node would ask Docker for the same address, and that is refused here.
import { isIPv4 } from 'node:net';
import type { IpamSpec, NetworkEndpoint, NetworkSpec, ServiceSpec } from './model.js';
import type { JsonPath } from './yaml-source.js';

type Raw = Record<string, unknown>;
type Report = (path: JsonPath, message: string) => void;

/** The `ipam` section of a top-level network, or undefined when not written. */
export function parseIpam(name: string, raw: unknown, report: Report): IpamSpec | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const ipam = raw as { driver?: string; config?: Array<Record<string, string>> };
  const config = (ipam.config ?? []).map((entry, i) => {
    const at = (key: string): JsonPath => ['networks', name, 'ipam', 'config', i, key];
    const subnet = entry.subnet === undefined ? undefined : parseCidr(entry.subnet);
    if (entry.subnet !== undefined && !subnet) report(at('subnet'), `subnet ${entry.subnet} is not an IPv4 CIDR such as 172.28.0.0/16`);
    if (entry.ip_range !== undefined) {
      const range = parseCidr(entry.ip_range);
      if (!range) report(at('ip_range'), `ip_range ${entry.ip_range} is not an IPv4 CIDR such as 172.28.5.0/24`);
      else if (subnet && !(range.bits >= subnet.bits && contains(subnet, range.base))) report(at('ip_range'), `ip_range ${entry.ip_range} is not inside the subnet ${entry.subnet}`);
    }
    if (entry.gateway !== undefined) {
      if (!isIPv4(entry.gateway)) report(at('gateway'), `gateway ${entry.gateway} is not an IPv4 address`);
      else if (subnet && !contains(subnet, toNumber(entry.gateway))) report(at('gateway'), `gateway ${entry.gateway} is not inside the subnet ${entry.subnet}`);
    }
    return { ...(entry.subnet !== undefined ? { subnet: entry.subnet } : {}), ...(entry.gateway !== undefined ? { gateway: entry.gateway } : {}), ...(entry.ip_range !== undefined ? { ipRange: entry.ip_range } : {}) };
  });
  return { ...(ipam.driver !== undefined ? { driver: ipam.driver } : {}), config };
}

/** `networks.<n>.aliases` and `ipv4_address` of one service (map form only; the list form has none). */
export function serviceEndpoints(raw: unknown): Record<string, NetworkEndpoint> | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const out: Record<string, NetworkEndpoint> = {};
  for (const [network, def] of Object.entries(raw as Record<string, Raw | null>)) {
    if (!def || (def.aliases === undefined && def.ipv4_address === undefined)) continue;
    out[network] = { aliases: ((def.aliases as string[] | undefined) ?? []).map(String), ...(def.ipv4_address !== undefined ? { ipv4Address: String(def.ipv4_address) } : {}) };
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * A fixed address needs a subnet that holds it (Docker refuses one on a network without a
 * configured subnet), at most one replica per node, and no other service of the stack on it.
 */
export function checkAddresses(services: readonly ServiceSpec[], networks: readonly NetworkSpec[], report: Report): void {
  const taken = new Map<string, string>();
  for (const service of services) {
    for (const [network, endpoint] of Object.entries(service.networkEndpoints ?? {})) {
      const address = endpoint.ipv4Address;
      if (address === undefined) continue;
      const at: JsonPath = ['services', service.name, 'networks', network, 'ipv4_address'];
      if (!isIPv4(address)) {
        report(at, `ipv4_address ${address} is not an IPv4 address such as 172.28.0.10`);
        continue;
      }
      const { mode, replicas, placement } = service.deploy;
      if (mode === 'replicated' && replicas > 1 && placement.maxReplicasPerNode !== 1) {
        report(at, `ipv4_address ${address} can be held by one container per node, but ${service.name} has ${replicas} replicas that may share a node; set deploy.replicas: 1 or deploy.placement.max_replicas_per_node: 1`);
      }
      const spec = networks.find((n) => n.name === network);
      if (spec && !spec.external) {
        const subnets = (spec.ipam?.config ?? []).flatMap((c) => (c.subnet ? [c.subnet] : []));
        if (subnets.length === 0) report(at, `ipv4_address ${address} needs a subnet: declare networks.${network}.ipam.config with a subnet that holds it (Docker assigns fixed addresses only on user-configured subnets)`);
        else if (!subnets.some((s) => { const c = parseCidr(s); return c !== undefined && contains(c, toNumber(address)); })) report(at, `ipv4_address ${address} is not inside the subnet(s) ${subnets.join(', ')} of network ${network}`);
      }
      const holder = taken.get(`${network}\u0000${address}`);
      if (holder !== undefined) report(at, `ipv4_address ${address} on network ${network} is already the address of ${holder}`);
      else taken.set(`${network}\u0000${address}`, service.name);
    }
  }
}

interface Cidr {
  base: number;
  bits: number;
}

function parseCidr(text: string): Cidr | undefined {
  const [address, bits] = text.split('/');
  if (address === undefined || bits === undefined || !isIPv4(address) || !/^\d{1,2}$/.test(bits) || Number(bits) > 32) return undefined;
  return { base: toNumber(address), bits: Number(bits) };
}

function toNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function contains(cidr: Cidr, address: number): boolean {
  const size = 2 ** (32 - cidr.bits);
  const start = Math.floor(cidr.base / size) * size;
  return address >= start && address < start + size;
}
