// Compose keys that shape the container one-to-one and need no scheduling or rollout logic:
// `expose`, `hostname`, `domainname`, `stdin_open`, `tty`, `shm_size`, `dns`, `dns_search`,
// `container_name` (which needs the service's deploy section: call after it is normalized).
// Each is set on the ServiceSpec only when written, so a service that uses none of them keeps
// the spec hash it had before these keys were supported.
import type { ServiceSpec } from './model.js';
import type { JsonPath } from './yaml-source.js';
import { parseByteSize } from './compose-values.js';

type Raw = Record<string, unknown>;

/** More than this many ports from one `expose` range is a typo, not a service. */
const MAX_EXPOSED = 1024;

export function applyContainerKeys(spec: ServiceSpec, raw: Raw, at: (...rest: Array<string | number>) => JsonPath, report: (path: JsonPath, message: string) => void): void {
  if (Array.isArray(raw.expose)) {
    const exposed = new Set<string>();
    raw.expose.forEach((entry, i) => {
      const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp))?$/.exec(String(entry));
      const from = Number(match?.[1]);
      const to = match?.[2] === undefined ? from : Number(match[2]);
      if (!match || from < 1 || to > 65535 || to < from || to - from >= MAX_EXPOSED) {
        report(at('expose', i), `expose ${JSON.stringify(entry)} is not a container port or a range of at most ${MAX_EXPOSED} ports (1-65535), such as 3000 or 8000-8010/udp`);
        return;
      }
      for (let port = from; port <= to; port++) exposed.add(`${port}/${match[3] ?? 'tcp'}`);
    });
    if (exposed.size > 0) spec.exposed = [...exposed];
  }
  if (typeof raw.hostname === 'string') spec.hostname = raw.hostname;
  if (typeof raw.domainname === 'string') spec.domainname = raw.domainname;
  if (typeof raw.container_name === 'string') {
    const { mode, replicas } = spec.deploy;
    // Docker names are unique per node: a second replica could never be created beside the first.
    if (mode !== 'replicated' || replicas !== 1) {
      const has = mode === 'global' ? 'mode: global (one replica per node)' : `${replicas} replicas`;
      report(at('container_name'), `container_name ${raw.container_name} names one container, but this service has ${has}; remove container_name or set deploy.replicas: 1`);
    } else spec.containerName = raw.container_name;
  }
  if (typeof raw.stdin_open === 'boolean') spec.stdinOpen = raw.stdin_open;
  if (typeof raw.tty === 'boolean') spec.tty = raw.tty;
  if (raw.shm_size !== undefined) {
    const bytes = parseByteSize(raw.shm_size as string | number);
    if (bytes === undefined) report(at('shm_size'), `shm_size ${JSON.stringify(raw.shm_size)} is not a size such as 64m or 1g`);
    else spec.shmSizeBytes = bytes;
  }
  const dns = stringList(raw.dns);
  if (dns) spec.dns = dns;
  const dnsSearch = stringList(raw.dns_search);
  if (dnsSearch) spec.dnsSearch = dnsSearch;
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.map(String) : undefined;
}
