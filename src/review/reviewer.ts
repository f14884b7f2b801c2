// Pull-request deployment reviews (DESIGN.md "Who uses it"): for each pull request into the
// tracked branch, fetch its head, validate and plan it against the live fleet, and post the
// plan where reviewers look: one comment, edited on every push, and a `flotilla/plan`
// commit status. The webhook only queues; reviews run here, one at a time, coalesced per
// pull request, so a burst of pushes costs one review of the newest head.
import type { AgeKeyring } from '../manifests/secrets/age-identities.js';
import type { Logger } from '../log.js';
import type { NodeFactory } from '../docker/node-pool.js';
import type { Engine } from '../engine/engine.js';
import { planningEngine } from '../engine/planning-engine.js';
import type { GitSource } from '../sync/git-source.js';
import type { PullRequestEvent, WebhookProviderName } from '../sync/webhooks/types.js';
import { isCommitId } from '../sync/webhooks/payload-fields.js';
import { DesiredStateCache } from '../reconcile/rollout/desired-cache.js';
import { planReview, type ReviewOutcome, type ReviewPlanDeps } from './plan-review.js';
import type { ReviewPoster } from './poster.js';
import { CoalescingQueue } from './review-queue.js';
import { PLAN_STATUS_CONTEXT, planMarker, reviewComment, reviewStatus } from './render-review.js';

export interface ReviewerOptions {
  source: GitSource;
  /** The cluster directory the daemon runs (--path); default: the repository's only cluster. */
  clusterPath?: string;
  /** Builds node clients, as the daemon's own pool does; the reviewer keeps a pool of its own. */
  nodeFactory: NodeFactory;
  /** One API client per forge whose pull requests are reviewed (Gitea uses the GitHub client). */
  posters: Partial<Record<WebhookProviderName, ReviewPoster>>;
  log: Logger;
  /** Pull requests waiting at most (default 100); more are refused until the queue drains. */
  maxPending?: number;
  /** The daemon's key for secret digests, so a review's plan matches what the daemon deployed. */
  digestKey?: Buffer;
  ageKeys?: AgeKeyring;
  /** The engines reviews plan through; default: the review's own, over its own node pool. */
  engine?: Engine;
}

export interface ReviewReport {
  outcome: ReviewOutcome['kind'];
  revision: string;
  comment: 'created' | 'updated';
}

export class PullRequestReviewer {
  private readonly deps: ReviewPlanDeps;
  private readonly queue: CoalescingQueue<PullRequestEvent>;

  constructor(private readonly options: ReviewerOptions) {
    const { source, clusterPath } = options;
    this.deps = { source, engine: options.engine ?? planningEngine(options.nodeFactory), desired: new DesiredStateCache(source, clusterPath, undefined, { ...(options.digestKey ? { digestKey: options.digestKey } : {}), ...(options.ageKeys ? { ageKeys: options.ageKeys } : {}) }), ...(clusterPath ? { clusterPath } : {}) };
    this.queue = new CoalescingQueue(
      async (event) => void (await this.review(event)),
      (err, event) => options.log.error({ err, provider: event.provider, repository: event.apiRepository, pullRequest: event.number }, 'pull request review failed'),
      options.maxPending ?? 100,
    );
  }

  /** For webhookRoutes({ onPullRequest }): queues a review; false when nobody posts for this forge. */
  readonly onPullRequest = (event: PullRequestEvent): boolean => {
    if (!this.options.posters[event.provider]) return false;
    return this.queue.push(`${event.provider}\u0000${event.apiRepository}\u0000${event.number}`, event);
  };

  /** Reviews one pull request now and posts the result. */
  async review(event: PullRequestEvent): Promise<ReviewReport> {
    const poster = this.options.posters[event.provider];
    if (!poster) throw new Error(`no API client for ${event.provider} pull requests`);
    const log = this.options.log.child({ provider: event.provider, repository: event.apiRepository, pullRequest: event.number });
    const fetched = await this.fetchHead(event);
    const revision = fetched.revision;
    if (revision !== event.headSha) log.info({ sent: event.headSha, fetched: revision }, 'the pull request moved on since the event; planning its current head');

    // Best effort: a forge that refuses a pending status must not stop the review.
    await poster.setStatus(event.apiRepository, revision, { context: PLAN_STATUS_CONTEXT, state: 'pending', description: 'Planning against the live fleet…' })
      .catch((err: unknown) => log.warn({ err }, 'could not set the pending plan status'));
    const outcome = await planReview(this.deps, revision, fetched.error);

    const body = reviewComment(outcome, poster.limits.commentBody);
    const status = reviewStatus(outcome, poster.limits.statusDescription);
    // Comment first, so that when the status turns green the plan is already there.
    const comment = await poster.upsertComment(event.apiRepository, event.number, planMarker(outcome.cluster), body);
    await poster.setStatus(event.apiRepository, revision, { context: PLAN_STATUS_CONTEXT, ...status });
    log.info({ revision, outcome: outcome.kind, comment, status: status.description }, 'pull request reviewed');
    return { outcome: outcome.kind, revision, comment };
  }

  /** Resolves when no review is running or queued. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Drops queued reviews and waits for the running one. */
  stop(): Promise<void> {
    return this.queue.stop();
  }

  /**
   * The pull request's ref in the base repository; failing that (a forge without such
   * refs), the head commit itself when the cache has or can fetch it.
   */
  private async fetchHead(event: PullRequestEvent): Promise<{ revision: string; error?: string }> {
    const source = this.options.source;
    try {
      return { revision: await source.fetchRef(event.headRef) };
    } catch (err) {
      if (isCommitId(event.headSha)) {
        try {
          await source.reader(event.headSha);
          return { revision: event.headSha };
        } catch {
          // fall through: report the ref's error, the more telling one
        }
      }
      return { revision: event.headSha, error: `could not fetch ${event.headRef}: ${(err as Error).message}` };
    }
  }
}
