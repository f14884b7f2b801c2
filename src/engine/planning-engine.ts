// The engine that only plans: `flotilla plan` and pull-request reviews observe and plan a
// cluster but never execute, so it has its own node pool (never the reconciler's bookkeeping
// of when a node went down), an endless grace period (it cannot know how long a node has been
// down, so it never plans a reschedule) and no health gate. Plain hosts or a swarm, as the
// commit's cluster.yaml says.
import { systemClock } from '../clock.js';
import { NodePool, type NodeFactory } from '../docker/node-pool.js';
import type { Engine } from './engine.js';
import { HostsEngine } from './hosts/hosts-engine.js';
import { EngineSelector } from './select-engine.js';
import { SwarmEngine } from './swarm/swarm-engine.js';

export function planningEngine(nodeFactory: NodeFactory): Engine {
  const hosts = new HostsEngine({ pool: new NodePool(nodeFactory), clock: systemClock, nodeGraceMs: Number.POSITIVE_INFINITY, healthGate: false });
  return new EngineSelector(hosts, (swarm) => new SwarmEngine(swarm));
}
