// A Compose service as one Swarm ServiceSpec (Engine API /services/create), `deploy:` mapped
// one-to-one. The spec hash label covers everything but the commit, so a commit that changes
// nothing about a service does not update it; drift by hand (`docker service update`) is
// found by comparing these fields with the live spec (diff.ts), not by the label alone.
import { createHash } from 'node:crypto';
import type { ServiceSpec, StackSpec, UpdateConfig } from '../../manifests/model.js';
import { LABEL } from '../../docker/labels.js';
import { sealedEnvLabel } from '../../manifests/secrets/sealed-env.js';
import { filesLabel } from '../../reconcile/plan/file-changes.js';
import { swarmServiceName, type SwarmServiceSpec } from './swarm-types.js';
import { referenceBodies, serviceObjects, type DesiredObject, type ObjectReference } from './swarm-objects.js';

const MS_TO_NS = 1_000_000;
const ENV_ORDER = new Intl.Collator('en');

export interface DesiredService {
  stack: string;
  service: string;
  name: string;
  specHash: string;
  spec: SwarmServiceSpec;
  replicas: number | 'global';
  dependsOn: string[];
  monitorMs: number;
  startPeriodMs: number;
  /** Config and secret objects the spec references by name (IDs are filled in by the plan). */
  objects: DesiredObject[];
}

export function desiredService(cluster: string, stack: StackSpec, service: ServiceSpec, commit: string): DesiredService {
  const objects = serviceObjects(cluster, stack.name, service);
  const spec = serviceSpec(cluster, stack, service, objects.map((o) => o.ref));
  // Digests by file name (never content), so a plan can say `config nginx.conf changed`.
  if (service.files) spec.Labels = { ...spec.Labels, [LABEL.files]: filesLabel(service.files) };
  if (service.sealedEnv) spec.Labels = { ...spec.Labels, [LABEL.sealedEnv]: sealedEnvLabel(service.sealedEnv) };
  // Values from encrypted files are hashed through their keyed digests (the label), never in clear.
  const specHash = createHash('sha256').update(JSON.stringify(maskSealedEnv(spec, service.sealedEnv))).digest('hex').slice(0, 16);
  spec.Labels = { ...spec.Labels, [LABEL.specHash]: specHash, [LABEL.commit]: commit };
  return {
    stack: stack.name,
    service: service.name,
    name: spec.Name,
    specHash,
    spec,
    replicas: service.deploy.mode === 'global' ? 'global' : service.deploy.replicas,
    dependsOn: service.dependsOn,
    monitorMs: service.deploy.updateConfig.monitorMs,
    startPeriodMs: service.healthcheck?.startPeriodMs ?? 0,
    objects: objects.map((o) => o.object),
  };
}

function maskSealedEnv(spec: SwarmServiceSpec, sealed: Record<string, string> | undefined): SwarmServiceSpec {
  const task = spec.TaskTemplate as { ContainerSpec?: { Env?: string[] } } | undefined;
  const env = task?.ContainerSpec?.Env;
  if (!sealed || !env) return spec;
  const masked = env.map((entry) => (entry.slice(0, entry.indexOf('=')) in sealed ? `${entry.slice(0, entry.indexOf('='))}=<sealed>` : entry));
  return { ...spec, TaskTemplate: { ...task, ContainerSpec: { ...task.ContainerSpec, Env: masked } } };
}

function identity(cluster: string, stack: string, service: string): Record<string, string> {
  return { [LABEL.managed]: 'true', [LABEL.cluster]: cluster, [LABEL.stack]: stack, [LABEL.service]: service };
}

function serviceSpec(cluster: string, stack: StackSpec, s: ServiceSpec, refs: ObjectReference[]): SwarmServiceSpec {
  const d = s.deploy;
  const container: Record<string, unknown> = {
    Image: s.image,
    Labels: { ...s.labels, ...identity(cluster, stack.name, s.name) },
    Env: Object.entries(s.environment).sort(([a], [b]) => ENV_ORDER.compare(a, b)).map(([k, v]) => `${k}=${v}`),
  };
  if (s.entrypoint) container.Command = s.entrypoint;
  if (s.command) container.Args = s.command;
  if (s.user) container.User = s.user;
  if (s.workingDir) container.Dir = s.workingDir;
  if (s.hostname) container.Hostname = s.hostname;
  if (s.stopSignal) container.StopSignal = s.stopSignal;
  if (s.stopGracePeriodMs !== undefined) container.StopGracePeriod = s.stopGracePeriodMs * MS_TO_NS;
  if (s.readOnly) container.ReadOnly = true;
  if (s.init) container.Init = true;
  if (s.tty) container.TTY = true;
  if (s.stdinOpen) container.OpenStdin = true;
  if (s.capAdd.length) container.CapabilityAdd = s.capAdd;
  if (s.capDrop.length) container.CapabilityDrop = s.capDrop;
  // Compose writes "host:ip"; a Swarm service takes /etc/hosts lines, "ip host".
  if (s.extraHosts.length) container.Hosts = s.extraHosts.map((h) => h.replace(/^([^:]+):(.+)$/, '$2 $1'));
  if (s.dns?.length || s.dnsSearch?.length || s.dnsOptions?.length) {
    container.DNSConfig = { ...(s.dns?.length ? { Nameservers: s.dns } : {}), ...(s.dnsSearch?.length ? { Search: s.dnsSearch } : {}), ...(s.dnsOptions?.length ? { Options: s.dnsOptions } : {}) };
  }
  if (s.sysctls) container.Sysctls = s.sysctls;
  if (s.ulimits) container.Ulimits = s.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }));
  if (s.groupAdd) container.Groups = s.groupAdd;
  if (s.healthcheck) {
    const h = s.healthcheck;
    container.Healthcheck = {
      Test: h.test,
      ...(h.intervalMs !== undefined ? { Interval: h.intervalMs * MS_TO_NS } : {}),
      ...(h.timeoutMs !== undefined ? { Timeout: h.timeoutMs * MS_TO_NS } : {}),
      ...(h.retries !== undefined ? { Retries: h.retries } : {}),
      ...(h.startPeriodMs !== undefined ? { StartPeriod: h.startPeriodMs * MS_TO_NS } : {}),
    };
  }
  const mounts = s.mounts.map((m) => {
    if (m.type === 'tmpfs') return { Type: 'tmpfs', Target: m.target, ReadOnly: m.readOnly };
    if (m.type === 'bind') return { Type: 'bind', Source: m.source, Target: m.target, ReadOnly: m.readOnly };
    const volume = m.source ? stack.volumes.find((v) => v.name === m.source) : undefined;
    return { Type: 'volume', ...(volume ? { Source: volume.dockerName } : {}), Target: m.target, ReadOnly: m.readOnly, ...(volume && !volume.external ? { VolumeOptions: { Labels: { ...volume.labels, ...identity(cluster, stack.name, s.name) }, ...(volume.driver ? { DriverConfig: { Name: volume.driver, Options: volume.driverOpts } } : {}) } } : {}) };
  });
  if (mounts.length) container.Mounts = mounts;
  // By name only: the spec hash must not change when an object is re-made with a new ID.
  const configs = referenceBodies(refs, 'config', new Map());
  const secrets = referenceBodies(refs, 'secret', new Map());
  if (configs.length) container.Configs = configs;
  if (secrets.length) container.Secrets = secrets;

  const task: Record<string, unknown> = {
    ContainerSpec: container,
    Networks: s.networks.map((n) => ({ Target: stack.networks.find((x) => x.name === n)?.dockerName ?? `${stack.name}_${n}`, Aliases: [s.name, ...(s.networkEndpoints?.[n]?.aliases.filter((a) => a !== s.name) ?? [])] })),
  };
  if (s.logging) task.LogDriver = { Name: s.logging.driver, Options: s.logging.options };
  const limits = resources(d.limits);
  const reservations = resources(d.reservations);
  if (limits || reservations) task.Resources = { ...(limits ? { Limits: limits } : {}), ...(reservations ? { Reservations: reservations } : {}) };
  if (d.restartPolicy) task.RestartPolicy = { Condition: d.restartPolicy.condition, ...(d.restartPolicy.maxAttempts !== undefined ? { MaxAttempts: d.restartPolicy.maxAttempts } : {}) };
  const placement: Record<string, unknown> = {};
  // Flotilla's node.name is Swarm's node.hostname; everything else Swarm reads as written.
  if (d.placement.constraints.length) placement.Constraints = d.placement.constraints.map((c) => c.text.replace(/^\s*node\.name\b/, 'node.hostname'));
  if (d.placement.spreadLabels.length) placement.Preferences = d.placement.spreadLabels.map((l) => ({ Spread: { SpreadDescriptor: `node.labels.${l}` } }));
  if (d.placement.maxReplicasPerNode !== undefined) placement.MaxReplicas = d.placement.maxReplicasPerNode;
  if (Object.keys(placement).length) task.Placement = placement;

  const ports = s.ports.map((p) => ({ Protocol: p.protocol, TargetPort: p.target, ...(p.published !== undefined ? { PublishedPort: p.published } : {}), PublishMode: p.mode ?? 'ingress' }));
  const spec: SwarmServiceSpec = {
    Name: swarmServiceName(stack.name, s.name),
    Labels: { ...d.labels, ...identity(cluster, stack.name, s.name), 'com.docker.stack.namespace': stack.name },
    TaskTemplate: task,
    Mode: d.mode === 'global' ? { Global: {} } : { Replicated: { Replicas: d.replicas } },
    UpdateConfig: updateConfig(d.updateConfig),
    RollbackConfig: updateConfig(d.rollbackConfig),
    EndpointSpec: { Mode: d.endpointMode ?? 'vip', ...(ports.length ? { Ports: ports } : {}) },
  };
  return spec;
}

function resources(r: { nanoCpus?: number; memoryBytes?: number }): Record<string, number> | undefined {
  if (r.nanoCpus === undefined && r.memoryBytes === undefined) return undefined;
  return { ...(r.nanoCpus !== undefined ? { NanoCPUs: r.nanoCpus } : {}), ...(r.memoryBytes !== undefined ? { MemoryBytes: r.memoryBytes } : {}) };
}

/**
 * failure_action rollback means Flotilla's whole-cluster revert, not Swarm's per-service
 * rollback: Swarm is told to pause, Flotilla sees the paused update and reverts every
 * service to the last good commit's spec.
 */
function updateConfig(u: UpdateConfig): Record<string, unknown> {
  return {
    Parallelism: u.parallelism,
    Delay: u.delayMs * MS_TO_NS,
    FailureAction: u.failureAction === 'continue' ? 'continue' : 'pause',
    Monitor: u.monitorMs * MS_TO_NS,
    MaxFailureRatio: u.maxFailureRatio,
    Order: u.order,
  };
}

export function overlayNetworks(cluster: string, stack: StackSpec): Array<{ Name: string; Driver: 'overlay'; Attachable: true; Internal: boolean; Labels: Record<string, string> }> {
  const used = new Set(stack.services.flatMap((s) => s.networks));
  return stack.networks
    .filter((n) => !n.external && used.has(n.name))
    .map((n) => ({ Name: n.dockerName, Driver: 'overlay' as const, Attachable: true as const, Internal: n.internal, Labels: { ...n.labels, [LABEL.managed]: 'true', [LABEL.cluster]: cluster, [LABEL.stack]: stack.name } }));
}
