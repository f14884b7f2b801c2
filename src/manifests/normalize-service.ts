// Turns one schema-valid Compose service into a ServiceSpec with every default filled in,
// reporting what the schema cannot see (port and volume syntax, policy, references).
import type { AdmissionPolicy, DeploySpec, HealthcheckSpec, MountSpec, PortSpec, RestartPolicySpec, ServiceSpec, UpdateConfig } from './model.js';
import type { ManifestProblem } from './problems.js';
import type { JsonPath, YamlSource } from './yaml-source.js';
import { listOrMapToRecord, parseByteSize, parseDurationMs, parseNanoCpus, splitCommand } from './compose-values.js';
import { parsePort, sameHostPort } from './ports.js';
import { bindAllowed, parseMount, parseTmpfs } from './mounts.js';
import { parseConstraint } from './constraints.js';
import { imageReferenceProblem } from './image-ref.js';
import { applyContainerKeys } from './container-keys.js';
import { applyHostConfigKeys } from './host-config-keys.js';
import { applyFlotillaExtension } from './flotilla-extension.js';
import { serviceEndpoints } from './network-keys.js';
import type { StackFileContext } from './declared-files.js';
import { relativeBind } from './repo-binds.js';
import { serviceFiles, type ServiceFileContext } from './service-files.js';
import { parsePlatform } from './platform.js';

/** Flotilla's defaults differ from Swarm on purpose: a failed update reverts, and is watched for 5s. */
export const DEFAULT_UPDATE_CONFIG: UpdateConfig = { parallelism: 1, delayMs: 0, failureAction: 'rollback', monitorMs: 5000, maxFailureRatio: 0, order: 'stop-first' };
/** The way back must never trigger another way back: a failing rollback pauses. */
export const DEFAULT_ROLLBACK_CONFIG: UpdateConfig = { ...DEFAULT_UPDATE_CONFIG, failureAction: 'pause' };

export interface ServiceContext {
  source: YamlSource;
  stack: string;
  policy: AdmissionPolicy;
  /** Variables of the stack's .env, also used for bare `environment: [KEY]` entries. */
  vars: ReadonlyMap<string, string>;
  /** Parsed env_file contents by repo-relative path (undefined: file missing). */
  envFiles: ReadonlyMap<string, ReadonlyMap<string, string> | undefined>;
  /** The repo-relative path of an env_file, or undefined when it is not inside the repository. */
  resolveEnvFile(path: string): string | undefined;
  problems: ManifestProblem[];
  /** Where notices go that do not make the commit invalid (absent: dropped). */
  warnings?: ManifestProblem[];
  /** Where configs, secrets and relative bind mounts are read from (set by the loader). */
  fileSources?: StackFileContext;
  /** Compose profiles the cluster enables for this stack (absent: none; `*`: all). */
  profiles?: readonly string[];
  /** The same with the stack's declared configs and secrets (set by normalizeStack). */
  files?: ServiceFileContext;
}

type Raw = Record<string, unknown>;

export function normalizeService(name: string, raw: Raw, ctx: ServiceContext): ServiceSpec {
  const base: JsonPath = ['services', name];
  const at = (...rest: Array<string | number>): JsonPath => [...base, ...rest];
  const report = (path: JsonPath, message: string, which: 'key' | 'value' = 'value') => ctx.problems.push(ctx.source.problem(path, message, which));

  const imageProblem = imageReferenceProblem(raw.image as string);
  if (imageProblem) report(at('image'), imageProblem);
  const environment = buildEnvironment(raw, ctx, at, report);
  const ports: PortSpec[] = [];
  const hostPorts = new Map<string, Array<{ port: PortSpec; entry: number }>>();
  ((raw.ports as unknown[] | undefined) ?? []).forEach((entry, i) => {
    const parsed = parsePort(entry);
    if (!parsed.ok) {
      report(at('ports', i), parsed.message);
      return;
    }
    ports.push(...parsed.ports);
    // Docker would refuse to start the container; say so before anything is deployed.
    let clash: { port: PortSpec; entry: number } | undefined;
    for (const port of parsed.ports) {
      if (port.published === undefined) continue;
      const key = `${port.published}/${port.protocol}`;
      const same = hostPorts.get(key) ?? [];
      clash ??= same.find((other) => sameHostPort(other.port, port));
      hostPorts.set(key, [...same, { port, entry: i }]);
    }
    if (clash) report(at('ports', i), `host port ${String(clash.port.published)}/${clash.port.protocol} is already published by ports[${clash.entry}] of this service; a host port can be bound only once per node`);
  });

  const mounts: MountSpec[] = [];
  ((raw.volumes as unknown[] | undefined) ?? []).forEach((entry, i) => {
    // Repo files, delivered as configs (service-files.ts), not bind mounts of the node.
    if (ctx.files && relativeBind(entry)) return;
    const parsed = parseMount(entry);
    if (!parsed.ok) {
      report(at('volumes', i), parsed.message);
      return;
    }
    const mount = parsed.mount;
    if (mount.type === 'bind' && !bindAllowed(mount.source, ctx.policy.allowBindMounts)) {
      const allowed = ctx.policy.allowBindMounts.length ? `allowed prefixes: ${ctx.policy.allowBindMounts.join(', ')}` : 'the cluster allows no bind mounts';
      const written = typeof entry === 'string' ? (entry.split(':')[0] as string) : String((entry as { source?: string }).source);
      const shown = written === mount.source ? mount.source : `${written} (which resolves to ${mount.source})`;
      report(at('volumes', i), `bind mount of host path ${shown} is forbidden by the cluster policy (${allowed}); use a named volume or add the path to spec.policy.allowBindMounts`);
    }
    mounts.push(mount);
  });
  if (raw.tmpfs !== undefined) mounts.push(...parseTmpfs(raw.tmpfs as string | string[]));

  const privileged = (raw.privileged as boolean | undefined) ?? false;
  if (privileged && !ctx.policy.allowPrivileged) {
    report(at('privileged'), 'privileged containers are forbidden by the cluster policy; remove `privileged: true` or set spec.policy.allowPrivileged');
  }
  const networkMode = raw.network_mode as string | undefined;
  if (networkMode === 'host' && !ctx.policy.allowHostNetwork) {
    report(at('network_mode'), 'host networking is forbidden by the cluster policy; publish ports instead or set spec.policy.allowHostNetwork');
  }
  if (networkMode !== undefined && raw.networks !== undefined) {
    report(at('network_mode'), '`network_mode` and `networks` cannot both be set');
  }
  // Docker drops published ports with host or none networking, with no more than a warning.
  if ((networkMode === 'host' || networkMode === 'none') && ports.length > 0) {
    report(at('ports'), `ports cannot be published with network_mode: ${networkMode}${networkMode === 'host' ? '; the container already listens on the node\'s own ports' : ''}; remove \`ports\``, 'key');
  }

  const labels = stringRecord(listOrMapToRecord(raw.labels));
  checkReservedLabels(raw.labels, at('labels'), report);
  checkReservedLabels((raw.deploy as Raw | undefined)?.labels, at('deploy', 'labels'), report);

  const spec: ServiceSpec = {
    stack: ctx.stack,
    name,
    image: raw.image as string,
    environment,
    ports,
    mounts,
    networks: serviceNetworks(raw.networks, networkMode),
    labels,
    restart: (raw.restart as string | undefined) ?? 'unless-stopped',
    capAdd: (raw.cap_add as string[] | undefined) ?? [],
    capDrop: (raw.cap_drop as string[] | undefined) ?? [],
    readOnly: (raw.read_only as boolean | undefined) ?? false,
    init: (raw.init as boolean | undefined) ?? false,
    extraHosts: Object.entries(listOrMapToRecord(raw.extra_hosts, Array.isArray(raw.extra_hosts) && (raw.extra_hosts as string[]).some((h) => h.includes('=')) ? '=' : ':')).map(([host, ip]) => `${host}:${ip ?? ''}`),
    dependsOn: Array.isArray(raw.depends_on) ? (raw.depends_on as string[]) : Object.keys((raw.depends_on as object | undefined) ?? {}),
    privileged,
    deploy: normalizeDeploy((raw.deploy as Raw | undefined) ?? {}, at, report),
  };
  const command = commandOf(raw.command, at('command'), report);
  if (command) spec.command = command;
  const entrypoint = commandOf(raw.entrypoint, at('entrypoint'), report);
  if (entrypoint) spec.entrypoint = entrypoint;
  if (networkMode !== undefined) spec.networkMode = networkMode;
  if (raw.user !== undefined) spec.user = String(raw.user);
  if (raw.working_dir !== undefined) spec.workingDir = raw.working_dir as string;
  if (raw.stop_signal !== undefined) spec.stopSignal = raw.stop_signal as string;
  if (raw.stop_grace_period !== undefined) spec.stopGracePeriodMs = parseDurationMs(raw.stop_grace_period as string) as number;
  const healthcheck = normalizeHealthcheck(raw.healthcheck as Raw | undefined, at('healthcheck', 'test'), report);
  if (healthcheck) spec.healthcheck = healthcheck;
  applyContainerKeys(spec, raw, at, report);
  applyHostConfigKeys(spec, raw, ctx.policy, at, report);
  applyFlotillaExtension(spec, raw, at, report);
  if (typeof raw.platform === 'string') {
    const platform = parsePlatform(raw.platform);
    if (platform.ok) spec.platform = platform.text;
    else report(at('platform'), platform.message);
  }
  const endpoints = networkMode === undefined ? serviceEndpoints(raw.networks) : undefined;
  if (endpoints) spec.networkEndpoints = endpoints;
  if (raw.build !== undefined) {
    // Without `image` the schema has already refused it (schema-messages.ts says why).
    if (raw.image !== undefined) ctx.warnings?.push(ctx.source.problem(at('build'), `\`build\` is ignored: Flotilla deploys the image ${String(raw.image)} and never builds it, so build and push it in CI first`, 'key'));
  }
  const files = ctx.files ? serviceFiles(name, raw, ctx.files) : undefined;
  if (files) spec.files = files;
  return spec;
}

function buildEnvironment(raw: Raw, ctx: ServiceContext, at: (...rest: Array<string | number>) => JsonPath, report: (path: JsonPath, message: string) => void): Record<string, string> {
  const environment: Record<string, string> = {};
  const envFiles = raw.env_file === undefined ? [] : Array.isArray(raw.env_file) ? (raw.env_file as unknown[]) : [raw.env_file];
  envFiles.forEach((entry, i) => {
    const path = typeof entry === 'string' ? entry : (entry as { path: string }).path;
    const required = typeof entry === 'string' ? true : (entry as { required?: boolean }).required ?? true;
    const resolved = ctx.resolveEnvFile(path);
    const where = Array.isArray(raw.env_file) ? at('env_file', i) : at('env_file');
    if (resolved === undefined) {
      report(where, `env_file ${path} is not inside the repository; env files are read from the commit, relative to the compose file`);
      return;
    }
    const vars = ctx.envFiles.get(resolved);
    if (vars === undefined) {
      if (required) report(where, `env_file ${path} does not exist in the repository (looked for ${resolved}); add it or mark it \`required: false\``);
      return;
    }
    for (const [k, v] of vars) environment[k] = v;
  });
  for (const [key, value] of Object.entries(listOrMapToRecord(raw.environment))) {
    if (value !== undefined) environment[key] = value;
    else if (ctx.vars.has(key)) environment[key] = ctx.vars.get(key) as string;
    else report(at('environment', Array.isArray(raw.environment) ? (raw.environment as string[]).indexOf(key) : key), `environment variable ${key} has no value and is not set in the stack's .env; write ${key}=value`);
  }
  return environment;
}

/**
 * `flotilla.*` labels are how Flotilla recognizes what it manages (slot, spec hash, commit);
 * a user value there would corrupt drift detection. Checked on every label set it copies
 * onto Docker objects, at the entry in list or map form.
 */
export function checkReservedLabels(value: unknown, path: JsonPath, report: (path: JsonPath, message: string, which?: 'key' | 'value') => void): void {
  const message = (key: string) => `label ${key} uses the reserved prefix "flotilla."; Flotilla sets those labels itself to track what it manages`;
  if (Array.isArray(value)) {
    value.forEach((entry, i) => {
      const key = String(entry).split('=')[0] as string;
      if (key.startsWith('flotilla.')) report([...path, i], message(key));
    });
  } else if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) if (key.startsWith('flotilla.')) report([...path, key], message(key), 'key');
  }
}

function commandOf(value: unknown, path: JsonPath, report: (path: JsonPath, message: string) => void): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value as string[];
  const words = splitCommand(value as string);
  if (!words) report(path, `command ${JSON.stringify(value)} has an unterminated quote`);
  return words;
}

function serviceNetworks(value: unknown, networkMode: string | undefined): string[] {
  if (networkMode !== undefined) return [];
  if (value === undefined) return ['default'];
  return Array.isArray(value) ? (value as string[]) : Object.keys(value as object);
}

function normalizeHealthcheck(raw: Raw | undefined, testPath: JsonPath, report: (path: JsonPath, message: string) => void): HealthcheckSpec | undefined {
  if (!raw) return undefined;
  if (raw.disable === true) return { test: ['NONE'] };
  const test = raw.test;
  if (test === undefined) return undefined;
  // Docker refuses a list that does not say how to run it, but only when the container is created.
  if (Array.isArray(test) && !['CMD', 'CMD-SHELL', 'NONE'].includes(test[0] as string)) {
    report(testPath, `a healthcheck test list starts with "CMD", "CMD-SHELL" or "NONE", e.g. ["CMD", ${JSON.stringify(test[0] ?? 'curl')}, ...]; or write the test as one shell string`);
  }
  const spec: HealthcheckSpec = { test: typeof test === 'string' ? ['CMD-SHELL', test] : (test as string[]) };
  if (raw.interval !== undefined) spec.intervalMs = parseDurationMs(raw.interval as string) as number;
  if (raw.timeout !== undefined) spec.timeoutMs = parseDurationMs(raw.timeout as string) as number;
  if (raw.retries !== undefined) spec.retries = raw.retries as number;
  if (raw.start_period !== undefined) spec.startPeriodMs = parseDurationMs(raw.start_period as string) as number;
  return spec;
}

function normalizeDeploy(raw: Raw, at: (...rest: Array<string | number>) => JsonPath, report: (path: JsonPath, message: string) => void): DeploySpec {
  const mode = (raw.mode as 'replicated' | 'global' | undefined) ?? 'replicated';
  if (mode === 'global' && raw.replicas !== undefined) report(at('deploy', 'replicas'), '`replicas` cannot be set with `mode: global`, which runs one replica on every eligible node');
  const placement = (raw.placement as Raw | undefined) ?? {};
  const constraints = ((placement.constraints as string[] | undefined) ?? []).flatMap((text, i) => {
    const parsed = parseConstraint(text);
    if (parsed.ok) return [parsed.constraint];
    report(at('deploy', 'placement', 'constraints', i), parsed.message);
    return [];
  });
  const resources = (raw.resources as { limits?: Raw; reservations?: Raw } | undefined) ?? {};
  const deploy: DeploySpec = {
    mode,
    replicas: mode === 'global' ? 0 : ((raw.replicas as number | undefined) ?? 1),
    placement: {
      constraints,
      spreadLabels: ((placement.preferences as Array<{ spread: string }> | undefined) ?? []).map((p) => p.spread.slice('node.labels.'.length)),
      ...(placement.max_replicas_per_node !== undefined ? { maxReplicasPerNode: placement.max_replicas_per_node as number } : {}),
    },
    updateConfig: updateConfig(raw.update_config as Raw | undefined, DEFAULT_UPDATE_CONFIG),
    rollbackConfig: updateConfig(raw.rollback_config as Raw | undefined, DEFAULT_ROLLBACK_CONFIG),
    limits: resourceSpec(resources.limits, at('deploy', 'resources', 'limits'), report),
    reservations: resourceSpec(resources.reservations, at('deploy', 'resources', 'reservations'), report),
    labels: stringRecord(listOrMapToRecord(raw.labels)),
  };
  const restart = raw.restart_policy as { condition?: RestartPolicySpec['condition']; max_attempts?: number } | undefined;
  if (raw.endpoint_mode !== undefined) deploy.endpointMode = raw.endpoint_mode as 'vip' | 'dnsrr';
  if (restart) deploy.restartPolicy = { condition: restart.condition ?? 'any', ...(restart.max_attempts !== undefined ? { maxAttempts: restart.max_attempts } : {}) };
  return deploy;
}

function updateConfig(raw: Raw | undefined, defaults: UpdateConfig): UpdateConfig {
  if (!raw) return { ...defaults };
  return {
    // Swarm reads parallelism 0 as "all at once"; it is kept as 0 and the executor treats it so.
    parallelism: (raw.parallelism as number | undefined) ?? defaults.parallelism,
    delayMs: raw.delay !== undefined ? (parseDurationMs(raw.delay as string) as number) : defaults.delayMs,
    failureAction: (raw.failure_action as UpdateConfig['failureAction'] | undefined) ?? defaults.failureAction,
    monitorMs: raw.monitor !== undefined ? (parseDurationMs(raw.monitor as string) as number) : defaults.monitorMs,
    maxFailureRatio: (raw.max_failure_ratio as number | undefined) ?? defaults.maxFailureRatio,
    order: (raw.order as UpdateConfig['order'] | undefined) ?? defaults.order,
  };
}

function resourceSpec(raw: Raw | undefined, path: JsonPath, report: (path: JsonPath, message: string) => void): { nanoCpus?: number; memoryBytes?: number } {
  const out: { nanoCpus?: number; memoryBytes?: number } = {};
  // The schema types these but lets a negative number through; Docker would reject it late.
  if (raw?.cpus !== undefined) {
    const nanoCpus = parseNanoCpus(raw.cpus as string | number);
    if (nanoCpus === undefined) report([...path, 'cpus'], `cpus ${JSON.stringify(raw.cpus)} is not a CPU count such as 0.5 or 2`);
    else out.nanoCpus = nanoCpus;
  }
  if (raw?.memory !== undefined) {
    const memoryBytes = parseByteSize(raw.memory as string | number);
    if (memoryBytes === undefined) report([...path, 'memory'], `memory ${JSON.stringify(raw.memory)} is not a size such as 512m or 1g`);
    else out.memoryBytes = memoryBytes;
  }
  return out;
}

function stringRecord(record: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) out[k] = v ?? '';
  return out;
}
