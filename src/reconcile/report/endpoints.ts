// Where each service can be reached, for load balancers and Prometheus: plain hosts have no
// routing mesh, so the tools in front of them need the healthy replicas' `address:port`.
// Pure: built from the desired state and the one observation of the last reconcile.
import type { ObservedState } from '../../docker/types.js';
import { LABEL } from '../../docker/labels.js';
import type { DesiredState, NodeSpec } from '../../manifests/model.js';

export interface ServiceEndpoints {
  stack: string;
  service: string;
  ports: Array<{ containerPort: number; protocol: 'tcp' | 'udp'; endpoints: Array<{ node: string; address: string; port: number; slot: string }> }>;
}

/** One Prometheus HTTP SD target group (https://prometheus.io/docs/prometheus/latest/http_sd/). */
export interface SdTargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** The node's `address`, else the host of a tcp:// or ssh:// endpoint (IPv6 unbracketed), else loopback (unix socket). */
export function nodeAddress(node: Pick<NodeSpec, 'endpoint' | 'address'>): string {
  if (node.address) return node.address;
  // The schema has checked the endpoint's form; URL parses it the way parseEndpoint does.
  if (/^(tcp|ssh):\/\//.test(node.endpoint) && URL.canParse(node.endpoint)) return new URL(node.endpoint).hostname.replace(/^\[(.*)\]$/, '$1');
  return '127.0.0.1';
}

// One collator for every sort here, as in fleet-status.ts: localeCompare with options builds one per call.
const SLOT_ORDER = new Intl.Collator('en', { numeric: true });

const healthy = (c: { state: string; health?: string }): boolean => c.state === 'running' && (c.health === undefined || c.health === 'healthy');

export function replicaEndpoints(desired: DesiredState, observed: ObservedState): ServiceEndpoints[] {
  const addresses = new Map(desired.cluster.nodes.map((n) => [n.name, nodeAddress(n)]));
  // Healthy managed replicas by stack/service, read once.
  const replicas = new Map<string, Array<{ node: string; slot: string; ports: ObservedState['nodes'][number]['containers'][number]['publishedPorts'] }>>();
  for (const node of observed.nodes) {
    if (!node.up) continue;
    for (const c of node.containers) {
      if (c.labels[LABEL.managed] !== 'true' || c.labels[LABEL.cluster] !== desired.cluster.name || !healthy(c)) continue;
      const key = `${c.labels[LABEL.stack]}/${c.labels[LABEL.service]}`;
      const list = replicas.get(key) ?? [];
      list.push({ node: node.name, slot: c.labels[LABEL.slot] ?? '', ports: c.publishedPorts });
      replicas.set(key, list);
    }
  }
  const out: ServiceEndpoints[] = [];
  for (const stack of desired.stacks) {
    for (const service of stack.services) {
      const published = service.ports.filter((p, i, all) => all.findIndex((q) => q.target === p.target && q.protocol === p.protocol) === i);
      if (published.length === 0) continue;
      const running = (replicas.get(`${stack.name}/${service.name}`) ?? []).sort((a, b) => SLOT_ORDER.compare(a.node, b.node) || SLOT_ORDER.compare(a.slot, b.slot));
      out.push({
        stack: stack.name,
        service: service.name,
        ports: published.map((p) => ({
          containerPort: p.target,
          protocol: p.protocol,
          // The observed host port, so that ports Docker picked (`"9100"`) are right too.
          endpoints: running.flatMap((r) => r.ports.filter((o) => o.containerPort === p.target && o.protocol === p.protocol).slice(0, 1).map((o) => ({ node: r.node, address: addresses.get(r.node) ?? '127.0.0.1', port: o.hostPort, slot: r.slot }))),
        })),
      });
    }
  }
  return out;
}

/** Target groups for the services that opt in with `x-flotilla.metrics-port`: one group per replica. */
export function prometheusTargets(desired: DesiredState, endpoints: readonly ServiceEndpoints[]): SdTargetGroup[] {
  const wanted = new Map(desired.stacks.flatMap((s) => s.services.filter((x) => x.metricsPort !== undefined).map((x) => [`${s.name}/${x.name}`, x.metricsPort as number] as const)));
  const groups: SdTargetGroup[] = [];
  for (const e of endpoints) {
    const port = wanted.get(`${e.stack}/${e.service}`);
    const metrics = e.ports.find((p) => p.containerPort === port && p.protocol === 'tcp');
    for (const r of metrics?.endpoints ?? []) {
      const host = r.address.includes(':') ? `[${r.address}]` : r.address;
      groups.push({ targets: [`${host}:${r.port}`], labels: { cluster: desired.cluster.name, stack: e.stack, service: e.service, node: r.node, slot: r.slot } });
    }
  }
  return groups;
}
