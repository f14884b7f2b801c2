// The bridge from a ServiceSpec to the exact Docker create body, and the spec hash that
// drift detection compares. The hash covers everything that shapes the container except
// its identity (name, slot) and the commit it came from, so a commit that changes nothing
// about a service does not replace its containers.
import { createHash } from 'node:crypto';
import type { NetworkSpec, ServiceSpec, StackSpec } from '../../manifests/model.js';
import type { ContainerCreateBody, EndpointSettings, NetworkCreate, VolumeCreate } from '../../docker/types.js';
import { containerName, LABEL } from '../../docker/labels.js';
import { filesLabel } from './file-changes.js';
import { sealedEnvLabel } from '../../manifests/secrets/sealed-env.js';

export interface DesiredContainer {
  stack: string;
  service: string;
  slot: string;
  node: string;
  name: string;
  specHash: string;
  body: ContainerCreateBody;
}

const MS_TO_NS = 1_000_000;

// The Env order is hashed into flotilla.spec-hash, so it must not depend on the machine:
// localeCompare follows the locale (under tr_TR "I_Y" sorts before "i_x"), and moving the
// daemon would replace those replicas. One fixed collation instead; English, because that
// (or the root locale, the same for these names) is what hashes so far were made with, and
// code-point order would change the hash of most services on upgrade.
const ENV_ORDER = new Intl.Collator('en');

/** The slot-independent part of the body; hashed once per service. */
export function serviceBody(cluster: string, stack: StackSpec, service: ServiceSpec): ContainerCreateBody {
  const ports = service.ports;
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    // `"3000"` publishes on a host port Docker picks, as in Compose (an empty HostPort).
    (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.published === undefined ? '' : String(p.published) });
  }
  const networks = service.networks.map((n) => networkOf(stack, n));
  const primary = networks[0];
  const body: ContainerCreateBody = {
    Image: service.image,
    Env: Object.entries(service.environment).sort(([a], [b]) => ENV_ORDER.compare(a, b)).map(([k, v]) => `${k}=${v}`),
    Labels: {
      ...service.deploy.labels,
      ...service.labels,
      [LABEL.managed]: 'true',
      [LABEL.cluster]: cluster,
      [LABEL.stack]: stack.name,
      [LABEL.service]: service.name,
    },
    HostConfig: {
      RestartPolicy: restartPolicy(service),
      NetworkMode: service.networkMode ?? primary?.dockerName ?? 'bridge',
    },
  };
  if (service.command) body.Cmd = service.command;
  if (service.entrypoint) body.Entrypoint = service.entrypoint;
  for (const key of service.exposed ?? []) exposed[key] = {};
  if (Object.keys(exposed).length) body.ExposedPorts = exposed;
  if (Object.keys(bindings).length) body.HostConfig.PortBindings = bindings;
  if (service.user !== undefined) body.User = service.user;
  if (service.workingDir !== undefined) body.WorkingDir = service.workingDir;
  if (service.stopSignal !== undefined) body.StopSignal = service.stopSignal;
  if (service.stopGracePeriodMs !== undefined) body.StopTimeout = Math.ceil(service.stopGracePeriodMs / 1000);
  if (service.healthcheck) {
    const h = service.healthcheck;
    body.Healthcheck = { Test: h.test };
    if (h.intervalMs !== undefined) body.Healthcheck.Interval = h.intervalMs * MS_TO_NS;
    if (h.timeoutMs !== undefined) body.Healthcheck.Timeout = h.timeoutMs * MS_TO_NS;
    if (h.retries !== undefined) body.Healthcheck.Retries = h.retries;
    if (h.startPeriodMs !== undefined) body.Healthcheck.StartPeriod = h.startPeriodMs * MS_TO_NS;
  }
  if (service.mounts.length) {
    body.HostConfig.Mounts = service.mounts.map((m) => ({
      Type: m.type,
      ...(m.type === 'bind' ? { Source: m.source } : m.type === 'volume' && m.source ? { Source: volumeDockerName(stack, m.source) } : {}),
      Target: m.target,
      ReadOnly: m.readOnly,
    }));
  }
  if (service.capAdd.length) body.HostConfig.CapAdd = service.capAdd;
  if (service.capDrop.length) body.HostConfig.CapDrop = service.capDrop;
  if (service.readOnly) body.HostConfig.ReadonlyRootfs = true;
  if (service.init) body.HostConfig.Init = true;
  if (service.privileged) body.HostConfig.Privileged = true;
  if (service.extraHosts.length) body.HostConfig.ExtraHosts = service.extraHosts;
  const limits = service.deploy.limits;
  if (limits.nanoCpus !== undefined) body.HostConfig.NanoCpus = limits.nanoCpus;
  if (limits.memoryBytes !== undefined) body.HostConfig.Memory = limits.memoryBytes;
  if (service.deploy.reservations.memoryBytes !== undefined) body.HostConfig.MemoryReservation = service.deploy.reservations.memoryBytes;
  // Keys added after spec hashes were first made: set only when written, so hashes hold.
  if (service.hostname !== undefined) body.Hostname = service.hostname;
  if (service.domainname !== undefined) body.Domainname = service.domainname;
  if (service.stdinOpen !== undefined) body.OpenStdin = service.stdinOpen;
  if (service.tty !== undefined) body.Tty = service.tty;
  if (service.shmSizeBytes !== undefined) body.HostConfig.ShmSize = service.shmSizeBytes;
  if (service.dns) body.HostConfig.Dns = service.dns;
  if (service.dnsSearch) body.HostConfig.DnsSearch = service.dnsSearch;
  applyHostConfig(service, body.HostConfig);
  // The digests (keyed for secrets) put each file's content into the spec hash.
  if (service.files) body.Labels[LABEL.files] = filesLabel(service.files);
  // Their keyed digests stand in for encrypted values in the hash (see hashableBody).
  if (service.sealedEnv) body.Labels[LABEL.sealedEnv] = sealedEnvLabel(service.sealedEnv);
  if (service.platform !== undefined) body.Labels[LABEL.platform] = service.platform;
  if (primary && !service.networkMode) {
    // Docker attaches one network at create; the others are connected before start.
    body.NetworkingConfig = { EndpointsConfig: { [primary.dockerName]: endpointSettings(service, primary.name) } };
  }
  return body;
}

/** The service name is always an alias; Compose `aliases` and `ipv4_address` only when written, so hashes hold. */
export function endpointSettings(service: ServiceSpec, network: string): EndpointSettings {
  const endpoint = service.networkEndpoints?.[network];
  const settings: EndpointSettings = { Aliases: [service.name, ...(endpoint?.aliases.filter((a) => a !== service.name) ?? [])] };
  if (endpoint?.ipv4Address !== undefined) settings.IPAMConfig = { IPv4Address: endpoint.ipv4Address };
  return settings;
}

function restartPolicy(service: ServiceSpec): { Name: string; MaximumRetryCount?: number } {
  const policy = service.deploy.restartPolicy;
  if (policy) {
    if (policy.condition === 'none') return { Name: 'no' };
    if (policy.condition === 'on-failure') return { Name: 'on-failure', ...(policy.maxAttempts !== undefined ? { MaximumRetryCount: policy.maxAttempts } : {}) };
    // "any" keeps a crashed container running but lets a manual `docker stop` show up as drift.
    return { Name: 'unless-stopped' };
  }
  const [name, count] = service.restart.split(':');
  return count !== undefined ? { Name: name as string, MaximumRetryCount: Number(count) } : { Name: name as string };
}

function networkOf(stack: StackSpec, name: string): NetworkSpec {
  return stack.networks.find((n) => n.name === name) ?? { name, dockerName: `${stack.name}_${name}`, internal: false, external: false, labels: {} };
}

function volumeDockerName(stack: StackSpec, name: string): string {
  return stack.volumes.find((v) => v.name === name)?.dockerName ?? `${stack.name}_${name}`;
}

/** Networks a service's containers join besides the one given at create. */
export function extraNetworks(stack: StackSpec, service: ServiceSpec): string[] {
  if (service.networkMode) return [];
  return service.networks.slice(1).map((n) => networkOf(stack, n).dockerName);
}

/**
 * Aliases and addresses on the networks connected after create, by Docker network name;
 * absent when no extra network has any (Compose `networks.<n>.aliases`/`ipv4_address`).
 */
export function extraEndpoints(stack: StackSpec, service: ServiceSpec): Record<string, EndpointSettings> | undefined {
  if (service.networkMode || !service.networkEndpoints) return undefined;
  const out: Record<string, EndpointSettings> = {};
  for (const n of service.networks.slice(1)) if (service.networkEndpoints[n]) out[networkOf(stack, n).dockerName] = endpointSettings(service, n);
  return Object.keys(out).length ? out : undefined;
}

/**
 * The body as it is hashed: variables from encrypted files with their values masked. The
 * `flotilla.sealed-env` label carries their keyed digests, so a changed secret still changes
 * the hash, and the hash (in a label anyone on the node can read) says nothing about them.
 */
export function hashableBody(body: ContainerCreateBody, sealed: Record<string, string> | undefined): ContainerCreateBody {
  if (!sealed || !body.Env) return body;
  return { ...body, Env: body.Env.map((entry) => {
    const name = entry.slice(0, entry.indexOf('='));
    return name in sealed ? `${name}=<sealed>` : entry;
  }) };
}

/** Canonical JSON: keys sorted at every level, so equal specs hash equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function specHash(body: ContainerCreateBody, extra: readonly string[] = []): string {
  return createHash('sha256').update(canonical({ body, extra })).digest('hex').slice(0, 16);
}

/** A fully labelled create body for one replica; `base` and `hash` come from serviceBody/specHash. */
export function desiredContainer(base: ContainerCreateBody, hash: string, stack: string, service: string, slot: string, node: string, commit: string, fixedName?: string): DesiredContainer {
  const body: ContainerCreateBody = {
    ...base,
    Labels: { ...base.Labels, [LABEL.slot]: slot, [LABEL.specHash]: hash, [LABEL.commit]: commit },
  };
  return { stack, service, slot, node, name: containerName(stack, service, slot, fixedName), specHash: hash, body };
}

export function networkCreate(cluster: string, stack: string, network: NetworkSpec): NetworkCreate {
  return {
    name: network.dockerName,
    ...(network.driver ? { driver: network.driver } : {}),
    internal: network.internal,
    labels: { ...network.labels, [LABEL.managed]: 'true', [LABEL.cluster]: cluster, [LABEL.stack]: stack },
    ...(network.ipam ? { ipam: { ...(network.ipam.driver ? { Driver: network.ipam.driver } : {}), Config: network.ipam.config.map((c) => ({ ...(c.subnet ? { Subnet: c.subnet } : {}), ...(c.gateway ? { Gateway: c.gateway } : {}), ...(c.ipRange ? { IPRange: c.ipRange } : {}) })) } } : {}),
  };
}

export function volumeCreate(cluster: string, stack: string, volume: { dockerName: string; driver?: string; driverOpts: Record<string, string>; labels: Record<string, string> }): VolumeCreate {
  return {
    name: volume.dockerName,
    ...(volume.driver ? { driver: volume.driver } : {}),
    driverOpts: volume.driverOpts,
    labels: { ...volume.labels, [LABEL.managed]: 'true', [LABEL.cluster]: cluster, [LABEL.stack]: stack },
  };
}

/** The host-config keys of host-config-keys.ts, each set only when written (hashes hold). */
function applyHostConfig(service: ServiceSpec, host: ContainerCreateBody['HostConfig']): void {
  if (service.sysctls) host.Sysctls = service.sysctls;
  if (service.ulimits) host.Ulimits = service.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }));
  if (service.runtime !== undefined) host.Runtime = service.runtime;
  if (service.logging) host.LogConfig = { Type: service.logging.driver, Config: service.logging.options };
  if (service.pidsLimit !== undefined) host.PidsLimit = service.pidsLimit;
  if (service.groupAdd) host.GroupAdd = service.groupAdd;
  if (service.dnsOptions) host.DnsOptions = service.dnsOptions;
  if (service.cpuShares !== undefined) host.CpuShares = service.cpuShares;
  if (service.memorySwapBytes !== undefined) host.MemorySwap = service.memorySwapBytes;
  if (service.devices) host.Devices = service.devices.map(deviceMapping);
  if (service.securityOpt) host.SecurityOpt = service.securityOpt;
  if (service.pidMode !== undefined) host.PidMode = service.pidMode;
  if (service.ipcMode !== undefined) host.IpcMode = service.ipcMode;
  if (service.usernsMode !== undefined) host.UsernsMode = service.usernsMode;
  if (service.cgroupParent !== undefined) host.CgroupParent = service.cgroupParent;
}

/** Compose's `host[:container[:permissions]]` device form, as the Engine API wants it. */
function deviceMapping(entry: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const [host = entry, container, permissions] = entry.split(':');
  return { PathOnHost: host, PathInContainer: container ?? host, CgroupPermissions: permissions ?? 'rwm' };
}
