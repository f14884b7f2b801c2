// fast-check generators of small but nasty clusters: few nodes with zones and roles, some
// down (within or past grace), services with constraints, spread, max per node, fixed
// ports from a tiny pool (so they collide), reservations near capacity; and observed
// containers that are current, outdated, stopped, unhealthy, misnamed, duplicated, of
// removed services, or not Flotilla's at all (squatting names and ports).
import fc from 'fast-check';
import type { DesiredState, ServiceSpec } from '../../../src/manifests/model.js';
import type { ObservedContainer, ObservedState } from '../../../src/docker/types.js';
import type { PlanMode } from '../../../src/reconcile/plan/actions.js';
import { desired, foreign, GiB, node, observedNode, replica, service, stack, type ServiceOptions } from './builders.js';
import { portsWhenRunning } from './simulator.js';

const PORTS = [80, 443, 8080];

export interface Scenario {
  desired: DesiredState;
  observed: ObservedState;
  lostNodes: string[];
  mode: PlanMode;
  selfHeal: boolean;
  prune: boolean;
}

const serviceOptions: fc.Arbitrary<ServiceOptions> = fc.record({
  replicas: fc.integer({ min: 0, max: 5 }),
  mode: fc.constantFrom<'replicated' | 'global'>('replicated', 'replicated', 'replicated', 'global'),
  constraints: fc.constantFrom<string[]>([], [], ['node.labels.role==web'], ['node.labels.zone!=c']),
  spread: fc.constantFrom<string[]>([], ['zone']),
  maxPerNode: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  ports: fc.constantFrom<number[]>([], [], [80], [443], [8080], [80, 443]),
  cpus: fc.option(fc.constantFrom(0.5, 1, 2), { nil: undefined }),
  memory: fc.option(fc.constantFrom(0.5 * GiB, 1 * GiB, 2 * GiB), { nil: undefined }),
  env: fc.constantFrom<Record<string, string>>({}, { V: '1' }),
});

const managedPick = fc.record({
  stack: fc.integer({ min: 0, max: 1 }),
  service: fc.integer({ min: 0, max: 4 }),
  slot: fc.integer({ min: 1, max: 6 }),
  globalSlot: fc.boolean(),
  variant: fc.constantFrom('current', 'current', 'old-env', 'old-ports', 'gone'),
  state: fc.constantFrom('running', 'running', 'running', 'exited', 'paused', 'created'),
  health: fc.constantFrom(undefined, undefined, 'healthy', 'unhealthy'),
  misnamed: fc.integer({ min: 0, max: 9 }),
  createdAt: fc.integer({ min: 1, max: 1000 }),
});

const foreignPick = fc.record({ squat: fc.boolean(), stack: fc.integer({ min: 0, max: 1 }), service: fc.integer({ min: 0, max: 4 }), slot: fc.integer({ min: 1, max: 3 }), port: fc.option(fc.constantFrom(...PORTS), { nil: undefined }) });

const nodePick = fc.record({
  zone: fc.constantFrom('a', 'b', 'c'),
  role: fc.constantFrom('web', 'db'),
  health: fc.constantFrom('up', 'up', 'up', 'up', 'held', 'lost'),
  cpus: fc.integer({ min: 1, max: 8 }),
  memoryGiB: fc.integer({ min: 1, max: 8 }),
  managed: fc.array(managedPick, { maxLength: 6 }),
  foreign: fc.array(foreignPick, { maxLength: 2 }),
});

export const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    nodes: fc.array(nodePick, { minLength: 1, maxLength: 5 }),
    stacks: fc.array(fc.array(serviceOptions, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 2 }),
    dependsOnPrevious: fc.boolean(),
    mode: fc.constantFrom<PlanMode>('sync', 'sync', 'resync', 'resync', 'report'),
    selfHeal: fc.boolean(),
    prune: fc.boolean(),
  })
  .map((r) => build(r));

function build(r: { nodes: NodePick[]; stacks: ServiceOptions[][]; dependsOnPrevious: boolean; mode: PlanMode; selfHeal: boolean; prune: boolean }): Scenario {
  const nodes = r.nodes.map((n, i) => node(`n${i}`, { zone: n.zone, role: n.role }));
  const specOf = (vi: number, o: ServiceOptions): ServiceSpec => service(`v${vi}`, { ...o, ...(r.dependsOnPrevious && vi > 0 ? { dependsOn: [`v${vi - 1}`] } : {}) });
  const stacks = r.stacks.map((services, si) => stack(`s${si}`, services.map((o, vi) => specOf(vi, o))));
  const d = desired(nodes, stacks);
  const lostNodes: string[] = [];
  const observedNodes = r.nodes.map((n, i) => {
    const name = `n${i}`;
    if (n.health === 'lost') lostNodes.push(name);
    const containers: ObservedContainer[] = [];
    for (const m of n.managed) {
      const options = r.stacks[m.stack]?.[m.service];
      const variant = options ? m.variant : 'gone';
      const stackName = `s${m.stack}`;
      const serviceName = variant === 'gone' ? `gone${m.service}` : `v${m.service}`;
      const base: ServiceOptions = options ?? { ports: [PORTS[m.service % PORTS.length] as number] };
      const o: ServiceOptions = variant === 'old-env' ? { ...base, env: { V: 'old' } } : variant === 'old-ports' ? { ...base, ports: [PORTS[(m.slot + m.service) % PORTS.length] as number] } : base;
      const slot = m.globalSlot && options?.mode === 'global' ? name : String(m.slot);
      const from = desired(nodes, [stack(stackName, [service(serviceName, o)])]);
      const running = replica(from, stackName, serviceName, slot, name, { createdAt: m.createdAt, ...(m.misnamed === 0 ? { name: `${stackName}-${serviceName}-renamed${m.slot}` } : {}), ...(m.health ? { health: m.health as 'healthy' } : {}) });
      if (containers.some((c) => c.name === running.name)) continue; // Docker names are unique per node
      if (m.state === 'running') containers.push(running);
      else {
        portsWhenRunning.set(running.id, running.publishedPorts);
        containers.push({ ...running, state: m.state as 'exited', publishedPorts: [] });
      }
    }
    for (const f of n.foreign) {
      const fname = f.squat ? `s${f.stack}-v${f.service}-${f.slot}` : `other-${f.service}-${f.slot}`;
      if (containers.some((c) => c.name === fname)) continue;
      containers.push(foreign(fname, f.port !== undefined ? [f.port] : []));
    }
    // A down node carries the containers last seen on it (see withLastKnownContainers).
    return observedNode(name, containers, { up: n.health === 'up', cpus: n.cpus, memory: n.memoryGiB * GiB });
  });
  return { desired: d, observed: { nodes: observedNodes }, lostNodes, mode: r.mode, selfHeal: r.selfHeal, prune: r.prune };
}

type NodePick = typeof nodePick extends fc.Arbitrary<infer T> ? T : never;
