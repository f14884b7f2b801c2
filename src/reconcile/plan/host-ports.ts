// Host-port bookkeeping shared by the scheduler (a fixed port+protocol+address can be taken
// once per node) and the planner (which existing container would block a new one). Docker
// refuses a binding when the same port/protocol is already bound on the same address or on
// the wildcard address, so "all addresses" collides with every specific one.
import type { PortSpec } from '../../manifests/model.js';
import type { PublishedPort } from '../../docker/types.js';
import { addTo } from './multimap.js';

export interface HostPort {
  port: number;
  protocol: 'tcp' | 'udp';
  /** '' when the port is bound on every address. */
  hostIp: string;
}

/** Port and protocol, the key under which bindings on any address can collide. */
export function portKey(p: { port: number; protocol: string }): string {
  return `${p.port}/${p.protocol}`;
}

const NO_PORTS: readonly HostPort[] = [];

const WILDCARDS = new Set(['', '0.0.0.0', '::']);

function normalizeIp(ip: string | undefined): string {
  return ip === undefined || WILDCARDS.has(ip) ? '' : ip;
}

/** The fixed host ports a service publishes (ephemeral ports never conflict). */
export function fixedHostPorts(ports: readonly PortSpec[]): HostPort[] {
  const out: HostPort[] = [];
  for (const p of ports) if (p.published !== undefined) out.push({ port: p.published, protocol: p.protocol, hostIp: normalizeIp(p.hostIp) });
  return dedupe(out);
}

/** The host ports an observed container holds (Docker lists IPv4 and IPv6 bindings separately). */
export function heldHostPorts(ports: readonly PublishedPort[]): readonly HostPort[] {
  // Most containers publish nothing: no arrays or sets to build for them.
  if (ports.length === 0) return NO_PORTS;
  return dedupe(ports.map((p) => ({ port: p.hostPort, protocol: p.protocol, hostIp: normalizeIp(p.hostIp) })));
}

function dedupe(ports: HostPort[]): HostPort[] {
  // A container publishes a handful of ports: comparing pairs costs less than keys and a set.
  if (ports.length < 2) return ports;
  return ports.filter((p, i) => {
    for (let j = 0; j < i; j++) {
      const q = ports[j] as HostPort;
      if (q.port === p.port && q.protocol === p.protocol && q.hostIp === p.hostIp) return false;
    }
    return true;
  });
}

export function formatHostPort(p: HostPort): string {
  return `${p.hostIp ? `${p.hostIp}:` : ''}${p.port}/${p.protocol}`;
}

export function hostPortsCollide(a: HostPort, b: HostPort): boolean {
  return a.port === b.port && a.protocol === b.protocol && (a.hostIp === '' || b.hostIp === '' || a.hostIp === b.hostIp);
}

/**
 * Whether a container publishing `ports` holds a binding that collides with `p`: the same
 * as `heldHostPorts(ports).some((h) => hostPortsCollide(h, p))`, without building the list
 * (it is asked for every container in the way of every action of a plan).
 */
export function holdsHostPort(ports: readonly PublishedPort[], p: HostPort): boolean {
  for (const q of ports) {
    if (q.hostPort !== p.port || q.protocol !== p.protocol) continue;
    const ip = normalizeIp(q.hostIp);
    if (ip === '' || p.hostIp === '' || ip === p.hostIp) return true;
  }
  return false;
}

/** The ports of one node and who holds each; `O` describes the holder for messages. */
export class PortTable<O> {
  // By port number (no key string per binding: a plan records thousands); the protocol is
  // checked per entry, so each list keeps the insertion order of its port+protocol entries.
  private readonly byPort = new Map<number, Array<{ protocol: string; hostIp: string; owner: O }>>();

  add(p: HostPort, owner: O): void {
    addTo(this.byPort, p.port, { protocol: p.protocol, hostIp: p.hostIp, owner });
  }

  /** Who already holds a port colliding with `p`, if anyone. */
  holder(p: HostPort): O | undefined {
    const list = this.byPort.get(p.port);
    if (!list) return undefined;
    for (const entry of list) if (entry.protocol === p.protocol && (p.hostIp === '' || entry.hostIp === '' || entry.hostIp === p.hostIp)) return entry.owner;
    return undefined;
  }
}
