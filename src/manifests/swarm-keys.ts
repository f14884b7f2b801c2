// Compose keys a Swarm service cannot express. On plain hosts they shape the container;
// on a swarm cluster they would be dropped silently, so each is an error naming the key.
import { posix } from 'node:path';
import type { ServiceSpec } from './model.js';
import type { ManifestProblem } from './problems.js';
import { relativeBind } from './repo-binds.js';
import { contentBytes } from './secret-bytes.js';
import type { YamlSource } from './yaml-source.js';

/** swarmkit's caps on one object's data (MaxConfigSize, MaxSecretSize). */
const MAX_SWARM_BYTES = { config: 1000 * 1024, secret: 500 * 1024 } as const;

const NOT_ON_SWARM: Readonly<Record<string, string>> = {
  privileged: 'Swarm services cannot run privileged containers',
  network_mode: 'Swarm services join networks (overlay, or `host` as an external network), not a network_mode',
  container_name: 'Swarm names the tasks of a service itself (<stack>_<service>.<slot>.<id>)',
  domainname: 'a Swarm service has no domainname; set hostname instead',
  shm_size: 'a Swarm service has no shm_size; mount a tmpfs at /dev/shm instead',
  restart: 'Swarm restarts tasks by deploy.restart_policy; write that instead of restart',
  runtime: 'a Swarm service runs on the node\'s default runtime',
  platform: 'not mapped onto Swarm services yet (Swarm places by the image\'s platforms)',
  pids_limit: 'not mapped onto Swarm services yet',
  cpu_shares: 'a Swarm service has no cpu_shares; use deploy.resources',
  memswap_limit: 'a Swarm service has no memswap_limit',
  devices: 'Swarm services cannot map host devices',
  security_opt: 'Swarm services cannot set security_opt',
  pid: 'Swarm services cannot share a PID namespace',
  ipc: 'Swarm services cannot set an IPC mode',
  userns_mode: 'Swarm services cannot set a user namespace mode',
  cgroup_parent: 'Swarm services cannot set a cgroup parent',
};

/** `loaded`: the stack's services as loaded, for what only their files tell (folders, sizes). */
export function checkSwarmKeys(source: YamlSource, problems: ManifestProblem[], loaded: readonly ServiceSpec[] = []): void {
  checkSwarmFiles(source, problems, loaded);
  const topNetworks = (source.value as { networks?: Record<string, Record<string, unknown> | null> } | null)?.networks ?? {};
  for (const [network, def] of Object.entries(topNetworks)) {
    if (def && 'ipam' in def) problems.push(source.problem(['networks', network, 'ipam'], `\`ipam\` in \`networks.${network}\` is not supported with engine: swarm yet: overlay networks get their subnets from Swarm`, 'key'));
  }
  const services = (source.value as { services?: Record<string, Record<string, unknown>> } | null)?.services ?? {};
  for (const [name, service] of Object.entries(services)) {
    if (service === null || typeof service !== 'object') continue;
    for (const key of Object.keys(service)) {
      const why = NOT_ON_SWARM[key];
      if (why) problems.push(source.problem(['services', name, key], `\`${key}\` in \`services.${name}\` is not supported with engine: swarm: ${why}`, 'key'));
    }
    const networks = service.networks;
    if (networks && typeof networks === 'object' && !Array.isArray(networks)) {
      for (const [network, def] of Object.entries(networks as Record<string, unknown>)) {
        if (def && typeof def === 'object' && 'ipv4_address' in def) problems.push(source.problem(['services', name, 'networks', network, 'ipv4_address'], `\`ipv4_address\` in \`services.${name}.networks.${network}\` is not supported with engine: swarm: Swarm assigns task addresses itself`, 'key'));
      }
    }
    const ports = Array.isArray(service.ports) ? service.ports : [];
    ports.forEach((p, i) => {
      const hostIp = typeof p === 'string' ? /^\[?[0-9a-fA-F.:]+\]?:\d[\d-]*:\d/.test(p) : p !== null && typeof p === 'object' && 'host_ip' in p;
      if (hostIp) problems.push(source.problem(['services', name, 'ports', i], `a host address in \`services.${name}.ports\` is not supported with engine: swarm: Swarm publishes on every address of a node`));
    });
  }
}

/**
 * Configs, secrets and repo files become Swarm config and secret objects. One object is one
 * file, so a bind-mounted repo folder cannot be one; and Swarm caps an object's size.
 */
function checkSwarmFiles(source: YamlSource, problems: ManifestProblem[], services: readonly ServiceSpec[]): void {
  const raw = (source.value as { services?: Record<string, { volumes?: unknown }> } | null)?.services ?? {};
  for (const service of services) {
    const files = service.files ?? [];
    const volumes = raw[service.name]?.volumes;
    (Array.isArray(volumes) ? volumes : []).forEach((entry, i) => {
      const bind = relativeBind(entry);
      if (!bind || !bind.target.startsWith('/')) return;
      const folder = files.find((f) => f.directory && f.target === posix.normalize(bind.target));
      if (folder) problems.push(source.problem(['services', service.name, 'volumes', i], `a relative bind mount of the repo folder ${bind.source} in \`services.${service.name}.volumes\` is not supported with engine: swarm: Flotilla delivers repo files as Swarm configs, and a config is one file; bind-mount each file on its own, or build the folder into the image`));
    });
    for (const file of files) {
      const bytes = file.directory ? 0 : (contentBytes(file.entries[0]?.content ?? { base64: '' })?.byteLength ?? 0);
      const cap = MAX_SWARM_BYTES[file.kind];
      if (bytes > cap) problems.push(source.problem(['services', service.name], `${file.kind} ${file.name} of \`services.${service.name}\` has ${bytes} bytes; Swarm takes a ${file.kind} of at most ${cap / 1024} KiB`, 'key'));
    }
  }
}
