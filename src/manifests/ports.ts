// Compose `ports:` in short ("8080:80/udp", "127.0.0.1:8080:80", "8000-8001:80-81") and
// long syntax, expanded to one PortSpec per container port.
import type { PortSpec } from './model.js';

export type PortParse = { ok: true; ports: PortSpec[] } | { ok: false; message: string };

const MAX_RANGE = 1000;

export function parsePort(value: unknown): PortParse {
  if (typeof value === 'number') return single(value, undefined, 'tcp', undefined, String(value));
  if (typeof value === 'string') return parseShort(value);
  const long = value as { target: number; published?: string | number; host_ip?: string; protocol?: 'tcp' | 'udp'; mode?: 'host' | 'ingress' };
  const protocol = long.protocol ?? 'tcp';
  const withMode = (parsed: PortParse): PortParse => (parsed.ok && long.mode ? { ok: true, ports: parsed.ports.map((p) => ({ ...p, mode: long.mode })) } : parsed);
  if (long.published === undefined || long.published === '') return withMode({ ok: true, ports: [{ target: long.target, protocol, ...(long.host_ip ? { hostIp: long.host_ip } : {}) }] });
  const published = range(String(long.published));
  if (typeof published === 'string') return { ok: false, message: `published port ${JSON.stringify(long.published)} ${published}` };
  if (published[0] !== published[1]) return { ok: false, message: 'a published range needs a matching target range; use the short syntax "8000-8001:80-81"' };
  return withMode(single(long.target, published[0], protocol, long.host_ip, JSON.stringify(value)));
}

function parseShort(text: string): PortParse {
  const bad = (why: string): PortParse => ({ ok: false, message: `port ${JSON.stringify(text)}${why.startsWith(':') ? why : ` ${why}`}; write it as "CONTAINER", "HOST:CONTAINER" or "IP:HOST:CONTAINER", optionally with /tcp or /udp` });
  let rest = text.trim();
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1);
    if (proto !== 'tcp' && proto !== 'udp') return bad(`has an unknown protocol "${proto}" (tcp or udp)`);
    protocol = proto;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  const ipv6 = /^\[([0-9a-fA-F:]+)\]:(.*)$/.exec(rest);
  if (ipv6) {
    hostIp = ipv6[1];
    rest = ipv6[2] as string;
  }
  const parts = rest.split(':');
  if (parts.length > 3 || (ipv6 && parts.length > 2)) return bad('has too many ":"');
  if (parts.length === 3) {
    hostIp = parts[0];
    if (!/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(hostIp as string)) return bad(`has an invalid host address "${hostIp}" (an IPv4 address, or an IPv6 one in [brackets])`);
  }
  const containerText = parts[parts.length - 1] as string;
  const hostText = parts.length >= 2 ? (parts[parts.length - 2] as string) : '';
  const container = range(containerText);
  if (typeof container === 'string') return bad(`: the container port "${containerText}" ${container}`);
  if (hostText === '') {
    const ports: PortSpec[] = [];
    for (let p = container[0]; p <= container[1]; p++) ports.push({ target: p, protocol, ...(hostIp ? { hostIp } : {}) });
    return { ok: true, ports };
  }
  const host = range(hostText);
  if (typeof host === 'string') return bad(`: the host port "${hostText}" ${host}`);
  if (host[0] !== host[1] && container[0] === container[1]) {
    return bad('maps a host port range to one container port, which lets Docker pick any port of the range; Flotilla needs one fixed host port (or none)');
  }
  if (host[1] - host[0] !== container[1] - container[0]) return bad(`maps ${host[1] - host[0] + 1} host ports to ${container[1] - container[0] + 1} container ports`);
  const ports: PortSpec[] = [];
  for (let i = 0; i <= container[1] - container[0]; i++) {
    ports.push({ target: container[0] + i, published: host[0] + i, protocol, ...(hostIp ? { hostIp } : {}) });
  }
  return { ok: true, ports };
}

function single(target: number, published: number | undefined, protocol: 'tcp' | 'udp', hostIp: string | undefined, text: string): PortParse {
  if (!validPort(target)) return { ok: false, message: `port ${text}: container port must be 1-65535` };
  return { ok: true, ports: [{ target, protocol, ...(published !== undefined ? { published } : {}), ...(hostIp ? { hostIp } : {}) }] };
}

/** A port or `lo-hi` range, or why the text is not one. */
function range(text: string): [number, number] | string {
  const match = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(text);
  if (!match) return text === '' ? 'is empty' : 'is not a number';
  const lo = Number(match[1]);
  const hi = match[2] === undefined ? lo : Number(match[2]);
  if (!validPort(lo) || !validPort(hi)) return 'is outside 1-65535';
  if (hi < lo) return 'is a range that runs backwards';
  if (hi - lo >= MAX_RANGE) return `is a range of more than ${MAX_RANGE} ports`;
  return [lo, hi];
}

function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Whether two ports would bind the same host port on one node (an unset or wildcard address binds them all). */
export function sameHostPort(a: PortSpec, b: PortSpec): boolean {
  if (a.published === undefined || a.published !== b.published || a.protocol !== b.protocol) return false;
  const wildcard = (ip: string | undefined) => ip === undefined || ip === '0.0.0.0' || ip === '::';
  return wildcard(a.hostIp) || wildcard(b.hostIp) || a.hostIp === b.hostIp;
}
