import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ContainerAction, Plan } from '../../../src/reconcile/plan/actions.js';
import { isContainerAction } from '../../../src/reconcile/plan/actions.js';
import { compileCatalog, serviceKey } from '../../../src/reconcile/plan/catalog.js';
import { plan } from '../../../src/reconcile/plan/planner.js';
import { schedule } from '../../../src/reconcile/plan/scheduler.js';
import { fixedHostPorts, heldHostPorts, hostPortsCollide, type HostPort } from '../../../src/reconcile/plan/host-ports.js';
import { nodeMatches } from '../../../src/manifests/constraints.js';
import { isManagedBy } from '../../../src/docker/labels.js';
import { scenario, type Scenario } from './arbitraries.js';
import { applyPlan } from './simulator.js';

const RUNS = Number(process.env.FLOTILLA_PROPERTY_RUNS ?? 400);
const planFor = (s: Scenario, observed = s.observed): Plan => plan(s.desired, observed, { selfHeal: s.selfHeal, prune: s.prune, commit: 'c1', mode: s.mode, lostNodes: s.lostNodes });
const describe = (a: ContainerAction) => `${a.type} ${a.container.name}@${a.node}: ${a.reason}`;

test('applying a plan and planning again finds nothing to do (idempotence), and the plan runs in its order', () => {
  fc.assert(
    fc.property(scenario, (s) => {
      const first = planFor(s);
      const after = applyPlan(s.observed, first);
      const second = planFor(s, after);
      assert.deepEqual(second.actions.filter(isContainerAction).map(describe), []);
      assert.deepEqual(planFor(s, after), second, 'planning is deterministic');
    }),
    { numRuns: RUNS },
  );
});

test('no action ever targets a container Flotilla does not manage or a node that is down', () => {
  fc.assert(
    fc.property(scenario, (s) => {
      const foreign = new Set(s.observed.nodes.flatMap((n) => n.containers.filter((c) => !isManagedBy(c.labels, s.desired.cluster.name)).map((c) => c.id)));
      const down = new Set(s.observed.nodes.filter((n) => !n.up).map((n) => n.name));
      for (const a of planFor(s).actions) {
        assert.ok(!down.has(a.node), `${a.type} on down node ${a.node}`);
        if (a.type === 'replace') assert.ok(!foreign.has(a.old.id) && !down.has(a.old.node));
        if (a.type === 'remove' || a.type === 'start') assert.ok(!foreign.has(a.container.id));
      }
    }),
    { numRuns: RUNS },
  );
});

test('the scheduler never breaks max_replicas_per_node, host-port uniqueness, capacity or constraints, and drops no replica', () => {
  fc.assert(
    fc.property(scenario, (s) => {
      const { placements, unplaceable } = schedule(s.desired, s.observed, { lostNodes: s.lostNodes });
      const catalog = compileCatalog(s.desired);
      const observedByName = new Map(s.observed.nodes.map((n) => [n.name, n]));
      const perServiceNode = new Map<string, number>();
      const ports = new Map<string, HostPort[]>();
      const reserved = new Map<string, { cpu: number; mem: number }>();
      for (const n of s.observed.nodes) {
        ports.set(n.name, n.containers.filter((c) => !isManagedBy(c.labels, s.desired.cluster.name)).flatMap((c) => heldHostPorts(c.publishedPorts)));
      }
      for (const p of placements) {
        const svc = catalog.byKey.get(serviceKey(p.stack, p.service));
        assert.ok(svc);
        const observedNode = observedByName.get(p.node);
        const spec = catalog.nodes.get(p.node);
        assert.ok(spec && nodeMatches(spec, svc.spec.deploy.placement.constraints), `${p.stack}/${p.service} on ${p.node} breaks its constraints`);
        if (!observedNode?.up) {
          assert.ok(p.sticky && !s.lostNodes.includes(p.node), `new placement on down node ${p.node}`);
          continue;
        }
        const key = `${svc.key}@${p.node}`;
        const count = (perServiceNode.get(key) ?? 0) + 1;
        perServiceNode.set(key, count);
        const max = svc.spec.deploy.placement.maxReplicasPerNode;
        if (max !== undefined) assert.ok(count <= max, `${key}: ${count} > max ${max}`);
        if (svc.spec.deploy.mode === 'global') assert.equal(p.slot, p.node);
        const taken = ports.get(p.node) ?? [];
        for (const port of fixedHostPorts(svc.spec.ports)) {
          assert.ok(!taken.some((t) => hostPortsCollide(t, port)), `port ${port.port} twice on ${p.node}`);
          taken.push(port);
        }
        ports.set(p.node, taken);
        const r = reserved.get(p.node) ?? { cpu: 0, mem: 0 };
        r.cpu += svc.nanoCpus;
        r.mem += svc.memoryBytes;
        reserved.set(p.node, r);
        const facts = observedNode.facts;
        if (facts) {
          assert.ok(r.cpu <= facts.cpus * 1e9 + 1, `CPU over capacity on ${p.node}`);
          assert.ok(r.mem <= facts.memoryBytes, `memory over capacity on ${p.node}`);
        }
      }
      for (const svc of catalog.services) {
        if (svc.spec.deploy.mode !== 'replicated') continue;
        const slots = [...placements, ...unplaceable].filter((p) => p.stack === svc.stack.name && p.service === svc.spec.name).map((p) => p.slot);
        assert.deepEqual(slots.sort(), Array.from({ length: svc.spec.deploy.replicas }, (_, i) => String(i + 1)).sort(), 'every declared slot is placed or reported, once');
      }
    }),
    { numRuns: RUNS },
  );
});

test('the plan does not depend on the order in which nodes and containers were listed', () => {
  fc.assert(
    fc.property(scenario, (s) => {
      const reversed = { nodes: [...s.observed.nodes].reverse().map((n) => ({ ...n, containers: [...n.containers].reverse() })) };
      assert.equal(JSON.stringify(planFor(s, reversed)), JSON.stringify(planFor(s)));
    }),
    { numRuns: RUNS },
  );
});
