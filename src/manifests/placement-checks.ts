// Placement that can be proven impossible from the manifests alone: constraints no
// declared node satisfies, or more replicas than the eligible nodes can hold (a fixed host
// port or max_replicas_per_node allows only one, or N, per node). Capacity (CPU, memory)
// needs live node facts, so the scheduler reports that at plan time instead.
import type { NodeSpec, ServiceSpec } from './model.js';
import type { ManifestProblem } from './problems.js';
import type { YamlSource } from './yaml-source.js';
import { nodeMatches } from './constraints.js';

export function eligibleNodes(service: ServiceSpec, nodes: readonly NodeSpec[]): NodeSpec[] {
  return nodes.filter((node) => nodeMatches(node, service.deploy.placement.constraints));
}

export function checkPlacement(service: ServiceSpec, nodes: readonly NodeSpec[], source: YamlSource, problems: ManifestProblem[]): void {
  const base = ['services', service.name];
  const eligible = eligibleNodes(service, nodes);
  const { placement, mode, replicas } = service.deploy;
  if (eligible.length === 0) {
    const described = nodes.map((n) => `${n.name}${Object.keys(n.labels).length ? ` (${Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}`).join('; ');
    problems.push(source.problem([...base, 'deploy', 'placement', 'constraints'], `no node satisfies the placement constraints [${placement.constraints.map((c) => c.text).join(', ')}]; the cluster's nodes are: ${described}`));
    return;
  }
  if (mode === 'global') return;
  const fixedPorts = service.ports.filter((p) => p.published !== undefined);
  const perNode = Math.min(placement.maxReplicasPerNode ?? Infinity, fixedPorts.length > 0 ? 1 : Infinity);
  if (replicas > eligible.length * perNode) {
    const names = eligible.map((n) => n.name).join(', ');
    if (fixedPorts.length > 0 && perNode === 1 && placement.maxReplicasPerNode === undefined) {
      const port = fixedPorts[0] as { published: number; protocol: string };
      problems.push(source.problem([...base, 'ports'], `${replicas} replicas publish the fixed host port ${port.published}/${port.protocol}, but only ${eligible.length} node(s) are eligible (${names}) and a host port can be taken once per node; lower replicas, add nodes, or drop the fixed host port`));
    } else {
      problems.push(source.problem([...base, 'deploy', 'replicas'], `${replicas} replicas cannot be placed: ${eligible.length} eligible node(s) (${names}) with at most ${perNode} per node`));
    }
  }
}
