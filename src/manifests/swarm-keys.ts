// Compose keys a Swarm service cannot express. On plain hosts they shape the container;
// on a swarm cluster they would be dropped silently, so each is an error naming the key.
import type { ManifestProblem } from './problems.js';
import type { YamlSource } from './yaml-source.js';

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
  configs: 'Swarm configs are not wired yet; deploy this stack on plain hosts, or bake the file into the image',
  secrets: 'Swarm secrets are not wired yet; use an (encrypted) env_file for now',
};

export function checkSwarmKeys(source: YamlSource, problems: ManifestProblem[]): void {
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
