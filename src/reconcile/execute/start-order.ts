// Which services of a run wait for which others before they start, besides depends_on: a
// service that joins a network with an address Docker picks waits for the services of its
// stack that take a fixed `ipv4_address` on that network. IPAM hands out the lowest free
// address, so a replica started first could take the fixed one, and the other service's start
// fails with "Address already in use" (traefik's well-known compose file pins 172.30.0.2 and
// its whoami replicas join the same network). Compose leaves it to chance.
//
// These waits are an order, not a dependency, and they must never close a loop with each
// other or with depends_on (a service waiting, through any chain, on itself would hang the
// rollout): an address wait that would close one is left out, in a fixed order, so the same
// plan always gives the same waits.
import type { ServiceSpec } from '../../manifests/model.js';

export interface StartingService {
  key: string;
  stack: string;
  spec?: ServiceSpec;
  /** True when the run creates or starts replicas of it (a service only losing replicas waits for nothing). */
  starts: boolean;
}

/** service key -> keys of the services it waits for because they hold a fixed address it could take. */
export function addressWaits(services: readonly StartingService[]): Map<string, string[]> {
  const byKey = new Map(services.map((s) => [s.key, s]));
  // Every wait the executor will honour: depends_on (all of it, to be safe) and the address waits added so far.
  const edges = new Map<string, Set<string>>(services.map((s) => [s.key, new Set((s.spec?.dependsOn ?? []).map((d) => `${s.stack}/${d}`).filter((k) => byKey.has(k)))]));
  const out = new Map<string, string[]>();
  for (const s of services) {
    for (const holder of holdersFor(s, services)) {
      if (reaches(edges, holder.key, s.key)) continue;
      edges.get(s.key)?.add(holder.key);
      out.set(s.key, [...(out.get(s.key) ?? []), holder.key]);
    }
  }
  return out;
}

function holdersFor(s: StartingService, services: readonly StartingService[]): StartingService[] {
  if (!s.spec || !s.starts) return [];
  const own = s.spec.networkEndpoints ?? {};
  const dynamic = new Set(s.spec.networks.filter((n) => own[n]?.ipv4Address === undefined));
  if (dynamic.size === 0) return [];
  return services.filter((o) => o !== s && o.stack === s.stack && o.starts && Object.entries(o.spec?.networkEndpoints ?? {}).some(([network, e]) => e.ipv4Address !== undefined && dynamic.has(network)));
}

/** Whether `from` waits, directly or through others, for `to`. */
function reaches(edges: ReadonlyMap<string, ReadonlySet<string>>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const at = stack.pop() as string;
    if (at === to) return true;
    if (seen.has(at)) continue;
    seen.add(at);
    for (const next of edges.get(at) ?? []) stack.push(next);
  }
  return false;
}
