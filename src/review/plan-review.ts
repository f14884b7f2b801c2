// The review itself, without any posting: load and validate the pull request's head, and
// plan it against the live fleet the way a reconcile would after the merge, through the
// engine the head's cluster.yaml names (containers per node on plain hosts, services on a
// swarm). The outcome is plain data for the renderer; any failure becomes an `error` outcome.
import { posix } from 'node:path';
import type { Engine, EnginePlan } from '../engine/engine.js';
import type { ClusterSpec } from '../manifests/model.js';
import type { ManifestProblem } from '../manifests/problems.js';
import type { DesiredStateCache } from '../reconcile/rollout/desired-cache.js';
import type { GitSource } from '../sync/git-source.js';

export interface ReviewPlanDeps {
  source: GitSource;
  clusterPath?: string;
  /**
   * Loads and validates commits once: every review reads the tracked branch's head too,
   * which stays the same from one review to the next.
   */
  desired: DesiredStateCache;
  /**
   * The review's own engine, never the reconciler's: a review must not disturb its
   * bookkeeping (when a node went down), and observes only what the tracked branch trusts.
   */
  engine: Engine;
}

export type ReviewOutcome =
  | { kind: 'planned'; cluster: string; revision: string; plan: EnginePlan; notes: string[] }
  | { kind: 'invalid'; cluster: string; revision: string; problems: ManifestProblem[] }
  | { kind: 'error'; cluster: string; revision: string; message: string };

/** `fetchError`: the head could not be fetched; the outcome says so under the usual marker. */
export async function planReview(deps: ReviewPlanDeps, revision: string, fetchError?: string): Promise<ReviewOutcome> {
  const trusted = await trustedCluster(deps);
  let cluster = trusted.name ?? fallbackName(deps.clusterPath);
  if (fetchError !== undefined) return { kind: 'error', cluster, revision, message: fetchError };
  try {
    const loaded = await deps.desired.load(revision);
    cluster = trusted.name ?? loaded.state?.cluster.name ?? posix.basename(loaded.clusterPath);
    if (!loaded.state) return { kind: 'invalid', cluster, revision, problems: loaded.problems };
    const desired = loaded.state;
    const { observed, notes } = await deps.engine.observeForReview(desired, trusted.cluster);
    if (trusted.note) notes.unshift(trusted.note);
    const plan = deps.engine.plan(desired, observed, { selfHeal: desired.cluster.sync.selfHeal, prune: desired.cluster.sync.prune, commit: revision, mode: 'sync' });
    return { kind: 'planned', cluster, revision, plan, notes };
  } catch (err) {
    return { kind: 'error', cluster, revision, message: (err as Error).message };
  }
}

interface TrustedCluster {
  /** The tracked branch's cluster name: the comment marker stays the same whatever the PR does. */
  name?: string;
  /** What may be contacted: its nodes (plain hosts) or its managers (swarm). */
  cluster?: ClusterSpec;
  note?: string;
}

/** The nodes the tracked branch declares: the only endpoints a review may contact. */
async function trustedCluster(deps: ReviewPlanDeps): Promise<TrustedCluster> {
  try {
    const head = await deps.source.fetch();
    const loaded = await deps.desired.load(head.revision);
    if (loaded.state) return { name: loaded.state.cluster.name, cluster: loaded.state.cluster };
    return { note: 'The tracked branch does not validate, so no node was observed: every node is planned as empty.' };
  } catch (err) {
    return { note: `The tracked branch could not be read (${(err as Error).message}), so no node was observed: every node is planned as empty.` };
  }
}

function fallbackName(clusterPath: string | undefined): string {
  return clusterPath ? posix.basename(clusterPath.replace(/\/cluster\.ya?ml$/, '')) : 'default';
}
