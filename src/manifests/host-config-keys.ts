// Compose keys that shape how the node runs the container (kernel settings, limits, log
// driver, runtime) and the host-reaching ones that only the cluster's policy may allow:
// `sysctls`, `ulimits`, `runtime`, `logging`, `pids_limit`, `group_add`, `dns_opt`,
// `cpu_shares`, `pull_policy`, the legacy resource keys (`mem_limit`, `mem_reservation`,
// `memswap_limit`, `cpus`), and `devices`, `security_opt`, `pid`, `ipc`, `userns_mode`,
// `cgroup_parent`. Like container-keys.ts, each sets the ServiceSpec only when written, so
// a service that uses none of them keeps its spec hash.
import type { AdmissionPolicy, ServiceSpec } from './model.js';
import { listOrMapToRecord, parseByteSize } from './compose-values.js';
import type { JsonPath } from './yaml-source.js';

type Raw = Record<string, unknown>;
type At = (...rest: Array<string | number>) => JsonPath;
type Report = (path: JsonPath, message: string) => void;

/** Pull policies that mean what Flotilla does anyway: pull an image a node does not have. */
const PULL_WHEN_MISSING = new Set(['missing', 'if_not_present']);
const NANO = 1e9;

export function applyHostConfigKeys(spec: ServiceSpec, raw: Raw, policy: AdmissionPolicy, at: At, report: Report): void {
  if (raw.sysctls !== undefined) {
    const sysctls = Object.fromEntries(Object.entries(listOrMapToRecord(raw.sysctls, '=')).map(([k, v]) => [k, v === undefined || v === null ? '' : String(v)]));
    if (Object.keys(sysctls).length > 0) spec.sysctls = sysctls;
  }
  if (raw.ulimits !== undefined) spec.ulimits = ulimitsOf(raw.ulimits as Record<string, unknown>, at, report);
  if (typeof raw.runtime === 'string') spec.runtime = raw.runtime;
  if (raw.logging !== undefined) {
    const logging = raw.logging as { driver?: string; options?: Record<string, unknown> };
    spec.logging = { driver: logging.driver ?? 'json-file', options: Object.fromEntries(Object.entries(logging.options ?? {}).map(([k, v]) => [k, String(v)])) };
  }
  if (typeof raw.pids_limit === 'number') spec.pidsLimit = raw.pids_limit;
  if (Array.isArray(raw.group_add)) spec.groupAdd = raw.group_add.map(String);
  if (Array.isArray(raw.dns_opt)) spec.dnsOptions = raw.dns_opt.map(String);
  if (typeof raw.cpu_shares === 'number') spec.cpuShares = raw.cpu_shares;
  if (raw.pull_policy !== undefined && !PULL_WHEN_MISSING.has(String(raw.pull_policy))) {
    report(at('pull_policy'), `pull_policy ${JSON.stringify(raw.pull_policy)} is not supported: Flotilla pulls an image when a node does not have it (\`missing\`); to roll a moving tag, change the tag or pin a digest in Git`);
  }
  applyLegacyResources(spec, raw, at, report);
  applyPolicyGatedKeys(spec, raw, policy, at, report);
}

function ulimitsOf(raw: Record<string, unknown>, at: At, report: Report): Array<{ name: string; soft: number; hard: number }> {
  return Object.entries(raw).flatMap(([name, value]) => {
    if (typeof value === 'number') return [{ name, soft: value, hard: value }];
    const pair = value as { soft: number; hard: number };
    if (pair.soft > pair.hard) {
      report(at('ulimits', name), `ulimit ${name}: soft ${pair.soft} is above hard ${pair.hard}; the kernel refuses that`);
      return [];
    }
    return [{ name, soft: pair.soft, hard: pair.hard }];
  });
}

/** `mem_limit`, `mem_reservation`, `cpus`: the pre-`deploy` spellings, folded into deploy.resources. */
function applyLegacyResources(spec: ServiceSpec, raw: Raw, at: At, report: Report): void {
  const resources = (raw.deploy as Raw | undefined)?.resources as { limits?: Raw; reservations?: Raw } | undefined;
  const both = (legacy: string, modern: string) => report(at(legacy), `\`${legacy}\` and \`deploy.resources.${modern}\` are both set; keep one (deploy.resources is the current form)`);
  if (raw.mem_limit !== undefined) {
    const bytes = parseByteSize(raw.mem_limit as string | number);
    if (bytes === undefined) report(at('mem_limit'), `mem_limit ${JSON.stringify(raw.mem_limit)} is not a size such as 512m or 1g`);
    else if (resources?.limits?.memory !== undefined) both('mem_limit', 'limits.memory');
    else spec.deploy.limits.memoryBytes = bytes;
  }
  if (raw.mem_reservation !== undefined) {
    const bytes = parseByteSize(raw.mem_reservation as string | number);
    if (bytes === undefined) report(at('mem_reservation'), `mem_reservation ${JSON.stringify(raw.mem_reservation)} is not a size such as 256m`);
    else if (resources?.reservations?.memory !== undefined) both('mem_reservation', 'reservations.memory');
    else spec.deploy.reservations.memoryBytes = bytes;
  }
  if (raw.cpus !== undefined) {
    const cpus = Number(raw.cpus);
    if (!Number.isFinite(cpus) || cpus <= 0) report(at('cpus'), `cpus ${JSON.stringify(raw.cpus)} is not a positive number such as 0.5`);
    else if (resources?.limits?.cpus !== undefined) both('cpus', 'limits.cpus');
    else spec.deploy.limits.nanoCpus = Math.round(cpus * NANO);
  }
  if (raw.memswap_limit !== undefined) {
    const bytes = String(raw.memswap_limit) === '-1' ? -1 : parseByteSize(raw.memswap_limit as string | number);
    if (bytes === undefined) report(at('memswap_limit'), `memswap_limit ${JSON.stringify(raw.memswap_limit)} is not a size such as 1g, or -1 for unlimited`);
    else spec.memorySwapBytes = bytes;
  }
}

/** Keys that reach into the host: each needs the policy switch its error names. */
function applyPolicyGatedKeys(spec: ServiceSpec, raw: Raw, policy: AdmissionPolicy, at: At, report: Report): void {
  const forbidden = (key: string, what: string, switchName: keyof AdmissionPolicy) =>
    report(at(key), `${what} is forbidden by the cluster policy; remove \`${key}\` or set spec.policy.${switchName}: true`);
  if (Array.isArray(raw.devices)) {
    if (!policy.allowDevices) forbidden('devices', 'access to host devices', 'allowDevices');
    else spec.devices = raw.devices.map(String);
  }
  if (Array.isArray(raw.security_opt)) {
    if (!policy.allowSecurityOpt) forbidden('security_opt', 'changing the container\'s security profile', 'allowSecurityOpt');
    else spec.securityOpt = raw.security_opt.map(String);
  }
  for (const key of ['pid', 'ipc', 'userns_mode'] as const) {
    const value = raw[key];
    if (typeof value !== 'string') continue;
    if (/^(service|container):/.test(value)) {
      report(at(key), `${key}: ${value} joins another container's namespace, which may run on another node; Flotilla places replicas independently, so this is not supported`);
      continue;
    }
    if (value === 'host' && !policy.allowHostNamespaces) {
      forbidden(key, `sharing the node's ${key === 'userns_mode' ? 'user' : key.toUpperCase()} namespace`, 'allowHostNamespaces');
      continue;
    }
    if (key === 'pid') spec.pidMode = value;
    else if (key === 'ipc') spec.ipcMode = value;
    else spec.usernsMode = value;
  }
  if (typeof raw.cgroup_parent === 'string') {
    if (!policy.allowCgroupParent) forbidden('cgroup_parent', 'placing the container in a host cgroup', 'allowCgroupParent');
    else spec.cgroupParent = raw.cgroup_parent;
  }
}
