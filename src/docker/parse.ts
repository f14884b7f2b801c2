// Pure translations from Docker Engine API JSON to Flotilla's types. Kept apart from the
// client so they can be tested on recorded payloads without a daemon. Inputs are `unknown`
// and read defensively: one odd container must not fail the observation of a whole node.
import type { ContainerCreateBody, ContainerHealthView, ContainerState, NodeFacts, ObservedContainer, PublishedPort } from './types.js';

import { normalizeArch } from '../manifests/platform.js';

type Json = Record<string, unknown>;

const STATES: ReadonlySet<string> = new Set<ContainerState>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);
const WILDCARD_IPS: ReadonlySet<string> = new Set(['', '0.0.0.0', '::']);

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}
function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}
function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/** An unknown state reads as 'dead': not running, so the planner replaces it rather than trusting it. */
export function parseState(v: unknown): ContainerState {
  const s = str(v).toLowerCase();
  return STATES.has(s) ? (s as ContainerState) : 'dead';
}

/** The list call has no health field; it is only in the human Status: "Up 3 minutes (healthy)". */
export function healthFromStatus(status: string): ObservedContainer['health'] {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  if (!m) return undefined;
  return m[1] === 'health: starting' ? 'starting' : (m[1] as 'healthy' | 'unhealthy');
}

/** The list call has no exit code either; an exited container's Status reads "Exited (137) 2 hours ago". */
export function exitCodeFromStatus(status: string): number | undefined {
  const m = /^Exited \((-?\d+)\)/.exec(status);
  return m ? Number(m[1]) : undefined;
}

/** The container's own name from Names; legacy links add "/other/alias" entries, skipped. */
export function primaryName(names: unknown): string {
  const list = Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  const own = list.find((n) => n.lastIndexOf('/') === 0) ?? list[0] ?? '';
  return own.startsWith('/') ? own.slice(1) : own;
}

/**
 * Only ports bound on the host. Docker lists a wildcard binding once per address family
 * (0.0.0.0 and ::); those collapse into one entry without hostIp, matching a desired
 * binding with HostIp "". Stopped containers list no bindings at all.
 */
export function parsePorts(ports: unknown): PublishedPort[] {
  const out = new Map<string, PublishedPort>();
  for (const raw of Array.isArray(ports) ? ports : []) {
    const p = obj(raw);
    const hostPort = num(p.PublicPort);
    if (hostPort <= 0) continue;
    const protocol = p.Type === 'udp' ? 'udp' : 'tcp';
    const ip = str(p.IP);
    const port: PublishedPort = { hostPort, containerPort: num(p.PrivatePort), protocol };
    if (!WILDCARD_IPS.has(ip)) port.hostIp = ip;
    out.set(`${port.hostIp ?? '*'}|${hostPort}|${port.containerPort}|${protocol}`, port);
  }
  return [...out.values()].sort((a, b) => a.hostPort - b.hostPort || a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
}

/** One entry of GET /containers/json. */
export function parseListedContainer(node: string, raw: unknown): ObservedContainer {
  const c = obj(raw);
  const out: ObservedContainer = {
    id: str(c.Id),
    name: primaryName(c.Names),
    node,
    // The reference the container was created from; Docker shows the image id instead
    // when that tag has since moved to another image.
    image: str(c.Image),
    labels: strings(c.Labels),
    state: parseState(c.State),
    publishedPorts: parsePorts(c.Ports),
    createdAt: num(c.Created),
  };
  const health = healthFromStatus(str(c.Status));
  if (health !== undefined) out.health = health;
  const exitCode = exitCodeFromStatus(str(c.Status));
  if (out.state === 'exited' && exitCode !== undefined) out.exitCode = exitCode;
  return out;
}

export function parseContainerList(node: string, raw: unknown): ObservedContainer[] {
  return (Array.isArray(raw) ? raw : []).map((c) => parseListedContainer(node, c));
}

/** GET /containers/{id}/json, reduced to what health gates read. */
export function parseInspect(raw: unknown): ContainerHealthView {
  const c = obj(raw);
  const state = obj(c.State);
  const view: ContainerHealthView = {
    id: str(c.Id),
    name: str(c.Name).replace(/^\//, ''),
    state: parseState(state.Status),
    restartCount: num(c.RestartCount),
    exitCode: num(state.ExitCode),
    startedAt: str(state.StartedAt),
    error: str(state.Error),
  };
  const health = str(obj(state.Health).Status);
  if (health === 'starting' || health === 'healthy' || health === 'unhealthy') view.health = health;
  return view;
}

/** GET /info. */
export function parseInfo(raw: unknown): NodeFacts {
  const i = obj(raw);
  const facts: NodeFacts = { cpus: num(i.NCPU), memoryBytes: num(i.MemTotal), serverVersion: str(i.ServerVersion, 'unknown') };
  if (str(i.OSType)) facts.os = str(i.OSType).toLowerCase();
  if (str(i.Architecture)) facts.arch = normalizeArch(str(i.Architecture));
  return facts;
}

/**
 * "repo:tag" / "repo@sha256:..." / "repo" into the fromImage/tag query of POST /images/create.
 * Without a tag Docker would pull every tag of the repository, so "latest" is made explicit.
 */
export function splitImageRef(ref: string): { fromImage: string; tag?: string } {
  if (ref.includes('@')) return { fromImage: ref };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  // A colon before the last slash is a registry port ("host:5000/app"), not a tag.
  if (colon > slash) return { fromImage: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { fromImage: ref, tag: 'latest' };
}

/** What a container publishes while running, from its create body (wildcard IPs as no hostIp, as parsePorts reads the list). */
export function portsOf(body: ContainerCreateBody): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, bindings] of Object.entries(body.HostConfig.PortBindings ?? {})) {
    const [port, proto] = key.split('/');
    for (const b of bindings) {
      const p: PublishedPort = { hostPort: Number(b.HostPort), containerPort: Number(port), protocol: proto === 'udp' ? 'udp' : 'tcp' };
      if (!(p.hostPort > 0)) continue; // an ephemeral port; Docker picks it at start
      if (b.HostIp !== '' && b.HostIp !== '0.0.0.0' && b.HostIp !== '::') p.hostIp = b.HostIp;
      out.push(p);
    }
  }
  return out.sort((a, b) => a.hostPort - b.hostPort);
}
