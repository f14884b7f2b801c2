// Placement that can be proven impossible from the manifests alone: constraints no
// declared node satisfies, or more replicas than the eligible nodes can hold (a fixed host
// port or max_replicas_per_node allows only one, or N, per node). Capacity (CPU, memory)
// needs live node facts, so the scheduler reports that at plan time instead.
import type { NodeSpec, PlacementConstraint, ServiceSpec } from './model.js';
import type { ManifestProblem } from './problems.js';
import type { YamlSource } from './yaml-source.js';
import { nodeMatches } from './constraints.js';
import { parsePort } from './ports.js';

/** Nodes named in a message; a fleet of hundreds would drown the one line that matters. */
const MAX_NODES_LISTED = 10;

export function eligibleNodes(service: ServiceSpec, nodes: readonly NodeSpec[]): NodeSpec[] {
  return nodes.filter((node) => nodeMatches(node, service.deploy.placement.constraints));
}

export function checkPlacement(service: ServiceSpec, nodes: readonly NodeSpec[], source: YamlSource, problems: ManifestProblem[]): void {
  const base = ['services', service.name];
  const raw = rawService(source, service.name);
  const { placement, mode, replicas } = service.deploy;
  // A constraint that could not be read is already reported; judging placement without
  // it would add a second, misleading error.
  const written = (raw.deploy as { placement?: { constraints?: unknown[] } } | undefined)?.placement?.constraints;
  if (Array.isArray(written) && written.length !== placement.constraints.length) return;

  const eligible = eligibleNodes(service, nodes);
  if (eligible.length === 0) {
    problems.push(unsatisfiable(service.name, placement.constraints, nodes, source));
    return;
  }
  if (mode === 'global') return;
  const portEntry = firstFixedPortEntry(raw.ports);
  const perNode = Math.min(placement.maxReplicasPerNode ?? Infinity, portEntry !== undefined ? 1 : Infinity);
  if (replicas <= eligible.length * perNode) return;
  const names = listNodes(eligible);
  if (portEntry !== undefined && (placement.maxReplicasPerNode ?? Infinity) >= 1) {
    const port = service.ports.find((p) => p.published !== undefined) as { published: number; protocol: string };
    problems.push(source.problem([...base, 'ports', portEntry], `${replicas} replicas publish the fixed host port ${port.published}/${port.protocol}, but only ${eligible.length} node(s) are eligible (${names}) and a host port can be taken once per node; lower replicas, add nodes, or drop the fixed host port`));
  } else {
    problems.push(source.problem([...base, 'deploy', 'replicas'], `${replicas} replicas cannot be placed: ${eligible.length} eligible node(s) (${names}) with max_replicas_per_node ${perNode} hold at most ${eligible.length * perNode}; lower replicas, raise max_replicas_per_node, or make more nodes eligible`));
  }
}

/** Points at the one constraint no node satisfies, when there is one; else at the list. */
function unsatisfiable(service: string, constraints: readonly PlacementConstraint[], nodes: readonly NodeSpec[], source: YamlSource): ManifestProblem {
  const path = ['services', service, 'deploy', 'placement', 'constraints'];
  const described = `the cluster's nodes are: ${listNodes(nodes, true)}`;
  const alone = constraints.findIndex((c) => !nodes.some((node) => nodeMatches(node, [c])));
  if (alone >= 0) {
    return source.problem([...path, alone], `no node satisfies the placement constraint "${(constraints[alone] as PlacementConstraint).text}"; ${described}`);
  }
  return source.problem(path, `no node satisfies all of the placement constraints [${constraints.map((c) => c.text).join(', ')}] together; ${described}`);
}

function listNodes(nodes: readonly NodeSpec[], withLabels = false): string {
  const shown = nodes.slice(0, MAX_NODES_LISTED).map((n) => {
    const labels = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(', ');
    return withLabels && labels ? `${n.name} (${labels})` : n.name;
  });
  const more = nodes.length > MAX_NODES_LISTED ? ` and ${nodes.length - MAX_NODES_LISTED} more` : '';
  return shown.join(withLabels ? '; ' : ', ') + more;
}

function rawService(source: YamlSource, name: string): Record<string, unknown> {
  const services = (source.value as { services?: Record<string, Record<string, unknown>> }).services;
  return services?.[name] ?? {};
}

/** Index of the first `ports:` entry that fixes a host port (for the error's position). */
function firstFixedPortEntry(ports: unknown): number | undefined {
  if (!Array.isArray(ports)) return undefined;
  const index = ports.findIndex((entry) => {
    const parsed = parsePort(entry);
    return parsed.ok && parsed.ports.some((p) => p.published !== undefined);
  });
  return index < 0 ? undefined : index;
}
