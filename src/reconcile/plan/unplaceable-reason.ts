// Turns the per-node rejections of one replica into one sentence a person can act on:
// which nodes said no and why (nodes with the same reason grouped), then what to change.
import type { CatalogService } from './catalog.js';
import { serviceLabel } from './catalog.js';
import type { Rejection, RejectionKind } from './placement-ledger.js';

const HINTS: Record<RejectionKind, string> = {
  constraints: 'relax the placement constraints or label more nodes',
  platform: 'change `platform` to one the nodes have (or remove it), or add nodes of that platform',
  down: 'bring the unreachable node back',
  'max-per-node': 'raise max_replicas_per_node, lower replicas or add nodes',
  port: 'free the host port or publish a different one',
  name: 'remove or rename the container that holds the name (Flotilla never touches containers it does not manage)',
  cpu: 'lower the CPU reservation or add capacity',
  memory: 'lower the memory reservation or add capacity',
};

export function describeUnplaceable(svc: CatalogService, slot: string, rejections: readonly Rejection[]): string {
  const what = svc.spec.deploy.mode === 'global' ? `${serviceLabel(svc)} (global) cannot run on ${slot}` : `${serviceLabel(svc)} replica ${slot} of ${svc.spec.deploy.replicas} cannot be placed`;
  if (rejections.length === 0) return `${what}: the cluster declares no nodes.`;
  const byDetail = new Map<string, string[]>();
  for (const r of rejections) {
    const nodes = byDetail.get(r.detail);
    if (nodes) nodes.push(r.node);
    else byDetail.set(r.detail, [r.node]);
  }
  const parts = [...byDetail].map(([detail, nodes]) => `${listNodes(nodes)} ${nodes.length > 1 ? plural(detail) : detail}`);
  const hints = [...new Set(rejections.map((r) => HINTS[r.kind]))];
  return `${what}: ${parts.join('; ')}. To fix: ${hints.join('; ')}.`;
}

function listNodes(nodes: string[]): string {
  return nodes.length > 4 ? `${nodes.slice(0, 3).join(', ')} and ${nodes.length - 3} more nodes` : nodes.join(', ');
}

/** "has …" → "have …", "is …" → "are …", "does …" → "do …", "already runs" → "already run" for grouped nodes. */
function plural(detail: string): string {
  return detail.replace(/^has /, 'have ').replace(/^is /, 'are ').replace(/^does /, 'do ').replace(/^already runs /, 'already run ');
}

export function constraintRejection(node: string, svc: CatalogService): Rejection {
  const texts = svc.spec.deploy.placement.constraints.map((c) => c.text).join(', ');
  return { node, kind: 'constraints', detail: `does not match the placement constraints [${texts}]` };
}

export function downRejection(node: string, lost: boolean): Rejection {
  return { node, kind: 'down', detail: lost ? 'is unreachable past its grace period' : 'is unreachable' };
}
