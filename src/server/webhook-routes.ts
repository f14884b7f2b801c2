// The webhook receivers of DESIGN.md ("The daemon's HTTP surface"), as extra routes for
// createRouter: POST /hooks/{github,gitlab,gitea,bitbucket,generic}. A receiver only asks
// the trigger queue for a reconcile (or the reviewer for a pull-request review) and answers
// at once; the 1 MiB body cap (413) is the HTTP server's.
import type { Counter } from 'prom-client';
import type { Handler } from './http-types.js';
import { DeliveryLru } from '../sync/webhooks/delivery-lru.js';
import { receiveWebhook, type WebhookContext } from '../sync/webhooks/receive.js';
import { RepoMatcher } from '../sync/webhooks/repo-identity.js';
import type { PullRequestEvent, WebhookProvider } from '../sync/webhooks/types.js';
import { bitbucketProvider } from '../sync/webhooks/bitbucket.js';
import { genericProvider } from '../sync/webhooks/generic.js';
import { giteaProvider } from '../sync/webhooks/gitea.js';
import { githubProvider } from '../sync/webhooks/github.js';
import { gitlabProvider } from '../sync/webhooks/gitlab.js';

export const WEBHOOK_PROVIDERS: readonly WebhookProvider[] = [githubProvider, gitlabProvider, giteaProvider, bitbucketProvider, genericProvider];

export interface WebhookRouteOptions {
  /** From --webhook-secret-file or FLOTILLA_WEBHOOK_SECRET; without it every delivery is refused (401). */
  secret: string | undefined;
  /** The tracked repository as given to --repo (credentials in it are ignored). */
  repoUrl: string;
  branch: string;
  /** Only `request` is ever called: webhooks ask, the queue decides when. */
  queue: { request(reason: string): void };
  /** flotilla_webhook_requests_total{provider,result}. */
  metrics?: { webhookRequests: Pick<Counter<'provider' | 'result'>, 'inc'> };
  /** Queues a review of a pull request into the tracked branch; returns false when none is set up for its provider. */
  onPullRequest?: (event: PullRequestEvent) => boolean;
  /** Delivery ids remembered for de-duplication (default 1000). */
  dedupeCapacity?: number;
}

/** Routes keyed "POST /hooks/<provider>", for `createRouter({ ..., extra })`. */
export function webhookRoutes(options: WebhookRouteOptions): Record<string, Handler> {
  const ctx: WebhookContext = {
    secret: options.secret,
    matcher: new RepoMatcher(options.repoUrl),
    branch: options.branch,
    deliveries: new DeliveryLru(options.dedupeCapacity ?? 1000),
    requestReconcile: (reason) => options.queue.request(reason),
    ...(options.onPullRequest ? { requestReview: options.onPullRequest } : {}),
    count: (provider, result) => options.metrics?.webhookRequests.inc({ provider, result }),
  };
  const routes: Record<string, Handler> = {};
  for (const provider of WEBHOOK_PROVIDERS) routes[`POST /hooks/${provider.name}`] = (req) => receiveWebhook(provider, req, ctx);
  return routes;
}
