// A tiny in-memory Docker fleet that applies a plan the way the executor would, refusing
// what Docker refuses: a name taken on the node, a fixed host port bound by a running
// container, any action on a node that is down. Used to check that a plan is executable in
// its order and that planning again afterwards finds nothing to do.
import type { ObservedContainer, ObservedState } from '../../../src/docker/types.js';
import type { Plan } from '../../../src/reconcile/plan/actions.js';
import type { DesiredContainer } from '../../../src/reconcile/plan/container-spec.js';

let nextId = 1;

export function applyPlan(state: ObservedState, plan: Plan, now = 1_800_000_000): ObservedState {
  const nodes = new Map(state.nodes.map((n) => [n.name, { ...n, containers: [...n.containers] }]));
  const nodeOf = (name: string) => {
    const n = nodes.get(name);
    if (!n) throw new Error(`action on unknown node ${name}`);
    if (!n.up) throw new Error(`action on down node ${name}`);
    return n;
  };
  const remove = (c: ObservedContainer) => {
    const n = nodeOf(c.node);
    const before = n.containers.length;
    n.containers = n.containers.filter((x) => x.id !== c.id);
    if (n.containers.length === before) throw new Error(`remove of ${c.name} (${c.id}) on ${c.node}: no such container`);
  };
  const create = (d: DesiredContainer) => {
    const n = nodeOf(d.node);
    if (n.containers.some((x) => x.name === d.name)) throw new Error(`create ${d.name} on ${d.node}: name already in use`);
    const ports = Object.entries(d.body.HostConfig.PortBindings ?? {}).flatMap(([key, bindings]) =>
      bindings.map((b) => ({ hostPort: Number(b.HostPort), containerPort: Number(key.split('/')[0]), protocol: key.endsWith('/udp') ? ('udp' as const) : ('tcp' as const), ...(b.HostIp ? { hostIp: b.HostIp } : {}) })),
    );
    checkPorts(n.containers, ports, `create ${d.name} on ${d.node}`);
    n.containers.push({ id: `sim${nextId++}`, name: d.name, node: d.node, image: d.body.Image, labels: d.body.Labels, state: 'running', publishedPorts: ports, createdAt: now });
  };
  for (const a of plan.actions) {
    switch (a.type) {
      case 'ensure-network':
      case 'ensure-volume':
        nodeOf(a.node);
        break;
      case 'create':
        create(a.container);
        break;
      case 'replace':
        remove(a.old);
        create(a.container);
        break;
      case 'remove':
        remove(a.container);
        break;
      case 'start': {
        const n = nodeOf(a.node);
        const c = n.containers.find((x) => x.id === a.container.id);
        if (!c) throw new Error(`start of ${a.container.name}: no such container`);
        const ports = portsWhenRunning.get(c.id) ?? [];
        checkPorts(n.containers.filter((x) => x.id !== c.id), ports, `start ${c.name} on ${n.name}`);
        // A started container's healthcheck begins again from "starting".
        const { health: _previous, ...rest } = c;
        void _previous;
        n.containers = n.containers.map((x) => (x.id === c.id ? { ...rest, state: 'running', publishedPorts: ports } : x));
        break;
      }
    }
  }
  return { nodes: [...nodes.values()] };
}

/** Ports a stopped container binds once started (Docker lists none while it is stopped). */
export const portsWhenRunning = new Map<string, ObservedContainer['publishedPorts']>();

function checkPorts(containers: ObservedContainer[], ports: ObservedContainer['publishedPorts'], what: string): void {
  for (const p of ports) {
    for (const c of containers) {
      for (const q of c.publishedPorts) {
        const wild = (ip?: string) => ip === undefined || ip === '' || ip === '0.0.0.0' || ip === '::';
        if (q.hostPort === p.hostPort && q.protocol === p.protocol && (wild(q.hostIp) || wild(p.hostIp) || q.hostIp === p.hostIp)) {
          throw new Error(`${what}: host port ${p.hostPort}/${p.protocol} is held by ${c.name}`);
        }
      }
    }
  }
}
