// The fleet a pull request is planned against. Node endpoints come from the pull request,
// which anyone who can open one controls; so only nodes the tracked branch already declares
// with the very same endpoint and TLS files are observed. A node the pull request adds or
// re-points is planned as an empty reachable node and never contacted before the merge.
import type { NodeSpec } from '../manifests/model.js';
import type { NodePool } from '../docker/node-pool.js';
import type { ObservedState } from '../docker/types.js';
import { emptyNode } from './synthetic-observed.js';

export interface ReviewFleet {
  observed: ObservedState;
  /** Sentences for the comment: which nodes were not observed, and why. */
  notes: string[];
}

/**
 * `pool` must be the review's own (it is re-synced to the trusted nodes here), never the
 * reconciler's, whose grace-period bookkeeping a review must not disturb.
 */
export async function observeForReview(pool: NodePool, declared: readonly NodeSpec[], trusted: readonly NodeSpec[]): Promise<ReviewFleet> {
  const trustedByName = new Map(trusted.map((n) => [n.name, n]));
  const observe: NodeSpec[] = [];
  const notes: string[] = [];
  for (const node of declared) {
    const known = trustedByName.get(node.name);
    if (known && sameConnection(known, node)) observe.push(known);
    else if (known) notes.push(`\`${node.name}\`: its endpoint changes in this pull request, so it is planned as an empty node (the new endpoint is not contacted before the merge).`);
    else notes.push(`\`${node.name}\` is new in this pull request and is planned as an empty node (it is not contacted before the merge).`);
  }
  const declaredNames = new Set(declared.map((n) => n.name));
  for (const node of trusted) {
    if (!declaredNames.has(node.name)) notes.push(`\`${node.name}\` is removed by this pull request; what runs there is not part of this plan.`);
  }
  pool.sync(observe);
  const seen = new Map((await pool.observe()).nodes.map((n) => [n.name, n]));
  return { observed: { nodes: declared.map((n) => seen.get(n.name) ?? emptyNode(n.name)) }, notes };
}

function sameConnection(a: NodeSpec, b: NodeSpec): boolean {
  return a.endpoint === b.endpoint && JSON.stringify(a.tls ?? null) === JSON.stringify(b.tls ?? null);
}
