// One webhook delivery, start to finish, the same for every provider: authenticate, drop
// a redelivery, read the body, interpret it, and then only *ask*: a push to the tracked
// branch requests a reconcile, a pull request against it requests a review. Nothing here
// fetches, plans or deploys, so the sender gets its answer at once. Every outcome is a 2xx
// or 4xx with a small JSON body; nothing a sender can send makes it throw.
import type { HttpRequest, HttpResponse } from '../../server/http-types.js';
import { json, problem } from '../../server/http-types.js';
import { readJsonBody } from './body.js';
import type { DeliveryLru } from './delivery-lru.js';
import type { RepoMatcher } from './repo-identity.js';
import type { PullRequestEvent, PushEvent, WebhookEvent, WebhookProvider } from './types.js';

/** The `result` label of flotilla_webhook_requests_total. */
export type WebhookResult = 'reconcile' | 'review' | 'ignored' | 'duplicate' | 'unauthorized' | 'bad_request';

export interface WebhookContext {
  /** Undefined when the daemon has no webhook secret: every delivery is refused. */
  secret: string | undefined;
  matcher: RepoMatcher;
  /** The tracked branch, e.g. main. */
  branch: string;
  deliveries: DeliveryLru;
  requestReconcile(reason: string): void;
  /** Queues a review; false when no reviewer handles this provider. */
  requestReview?(event: PullRequestEvent): boolean;
  count(provider: string, result: WebhookResult): void;
}

const MAX_DELIVERY_ID = 200;

export function receiveWebhook(provider: WebhookProvider, req: HttpRequest, ctx: WebhookContext): HttpResponse {
  const answer = (result: WebhookResult, response: HttpResponse): HttpResponse => {
    ctx.count(provider.name, result);
    return response;
  };
  if (ctx.secret === undefined) {
    return answer('unauthorized', problem(401, 'webhooks are disabled: the daemon has no webhook secret (--webhook-secret-file or FLOTILLA_WEBHOOK_SECRET)'));
  }
  // Authenticate before anything else: an unsigned sender learns nothing, not even whether its JSON parses.
  if (!provider.authenticate(req, ctx.secret)) return answer('unauthorized', problem(401, 'missing or invalid webhook signature'));

  // Read before de-duplicating: a delivery refused as malformed is refused again when redelivered.
  const body = readJsonBody(req, provider.acceptsForm);
  if (!body.ok) return answer('bad_request', problem(400, body.message));

  const id = provider.deliveryId(req)?.trim();
  const delivery = id && id.length <= MAX_DELIVERY_ID ? id : undefined;
  // Only authenticated ids are remembered, so nobody can shadow a real delivery in advance.
  if (delivery !== undefined && ctx.deliveries.checkAndRemember(`${provider.name}:${delivery}`)) {
    return answer('duplicate', json(202, { accepted: false, ignored: 'duplicate delivery', delivery }));
  }
  let event: WebhookEvent;
  try {
    event = provider.interpret(req, body.payload);
  } catch {
    // Interpreters read through safe accessors; this is a last line of defence, not a path.
    return answer('bad_request', problem(400, 'the payload could not be read'));
  }
  const ignored = (reason: string): HttpResponse => answer('ignored', json(202, { accepted: false, ignored: reason, ...(delivery ? { delivery } : {}) }));
  switch (event.kind) {
    case 'ignored':
      return ignored(event.reason);
    case 'push': {
      const why = pushMismatch(event, ctx);
      if (why) return ignored(why);
      ctx.requestReconcile(`webhook:${provider.name}`);
      return answer('reconcile', json(202, { accepted: true, action: 'reconcile', ...(delivery ? { delivery } : {}) }));
    }
    case 'pull_request': {
      if (!ctx.matcher.matches(event.repository)) return ignored('pull request in another repository');
      if (event.baseBranch !== ctx.branch) return ignored(`pull request into ${event.baseBranch.slice(0, 100)}, not the tracked branch ${ctx.branch}`);
      let queued = false;
      try {
        queued = ctx.requestReview?.(event) === true;
      } catch {
        return ignored('the review could not be queued');
      }
      if (!queued) return ignored(`no review queued: reviews are not set up for ${provider.name}, or too many are waiting`);
      return answer('review', json(202, { accepted: true, action: 'review', pullRequest: event.number, ...(delivery ? { delivery } : {}) }));
    }
  }
}

/** Why a push does not concern the tracked branch, or undefined when it does. */
function pushMismatch(event: PushEvent, ctx: WebhookContext): string | undefined {
  if (event.repository !== undefined && !ctx.matcher.matches(event.repository)) return 'push to another repository';
  const tracked = `refs/heads/${ctx.branch}`;
  if (event.updated === undefined || event.updated.includes(tracked)) return undefined;
  if (event.deleted.includes(tracked)) return `push deleted ${tracked}; the cluster stays on its last commit`;
  const named = [...event.updated, ...event.deleted][0];
  return named === undefined ? 'push names no branch' : `push to ${named.slice(0, 200)}, not the tracked branch ${ctx.branch}`;
}
