// Bitbucket Cloud: `X-Hub-Signature: sha256=<hex>` over the raw body (only when the hook
// has a secret, which Flotilla requires), `X-Event-Key` the event (repo:push,
// pullrequest:created, pullrequest:updated), `X-Request-UUID` the delivery. `X-Hook-UUID`
// names the hook, not the delivery, so it is no use for de-duplication on its own.
// Bitbucket has no pull-request refs; the source branch is named instead, and reviews of
// Bitbucket pull requests need a poster for its API (none yet: they are acknowledged).
import { at, positiveInt, quote, str, strings } from './payload-fields.js';
import { verifyHmacHeader } from './signature.js';
import type { RepoCandidates, WebhookEvent, WebhookProvider } from './types.js';

export const bitbucketProvider: WebhookProvider = {
  name: 'bitbucket',
  acceptsForm: false,
  authenticate: (req, secret) => verifyHmacHeader(req.headers['x-hub-signature'], 'sha256=', secret, req.body),
  // Bitbucket Data Center sends X-Request-Id instead.
  deliveryId: (req) => req.headers['x-request-uuid'] ?? req.headers['x-request-id'],
  interpret(req, payload): WebhookEvent {
    const event = req.headers['x-event-key'];
    const repository = bitbucketRepo(at(payload, 'repository'));
    if (event === 'repo:push') return pushOf(payload, repository);
    if (event !== 'pullrequest:created' && event !== 'pullrequest:updated') return { kind: 'ignored', reason: `event ${quote(event)} is not handled` };
    const pr = at(payload, 'pullrequest');
    const number = positiveInt(pr, 'id');
    // Bitbucket sends the abbreviated (12 digit) hash; the branch is what can be fetched.
    const headSha = str(pr, 'source', 'commit', 'hash');
    const sourceBranch = str(pr, 'source', 'branch', 'name');
    const baseBranch = str(pr, 'destination', 'branch', 'name');
    const apiRepository = str(payload, 'repository', 'full_name');
    if (number === undefined || headSha === undefined || !/^[0-9a-f]{7,64}$/i.test(headSha) || sourceBranch === undefined || baseBranch === undefined || apiRepository === undefined) {
      return { kind: 'ignored', reason: 'pull request payload lacks the id, source commit, branches or repository' };
    }
    const title = str(pr, 'title');
    const url = str(pr, 'links', 'html', 'href');
    return {
      kind: 'pull_request', provider: 'bitbucket', repository, apiRepository, number, action: event.slice('pullrequest:'.length), headSha: headSha.toLowerCase(),
      headRef: `refs/heads/${sourceBranch}`, baseBranch, ...(title !== undefined ? { title } : {}), ...(url !== undefined ? { url } : {}),
    };
  },
};

/** One repo:push may carry several ref changes (new: null for a deleted branch). */
function pushOf(payload: Record<string, unknown>, repository: RepoCandidates): WebhookEvent {
  const changes = at(payload, 'push', 'changes');
  if (!Array.isArray(changes)) return { kind: 'ignored', reason: 'repo:push payload without push.changes' };
  const updated: string[] = [];
  const deleted: string[] = [];
  for (const change of changes.slice(0, 100)) {
    const name = str(change, 'new', 'type') === 'branch' ? str(change, 'new', 'name') : undefined;
    const gone = at(change, 'new') === null && str(change, 'old', 'type') === 'branch' ? str(change, 'old', 'name') : undefined;
    if (name !== undefined) updated.push(`refs/heads/${name}`);
    else if (gone !== undefined) deleted.push(`refs/heads/${gone}`);
  }
  return { kind: 'push', repository, updated, deleted };
}

function bitbucketRepo(repo: unknown): RepoCandidates {
  return { urls: strings(str(repo, 'links', 'html', 'href')), fullNames: strings(str(repo, 'full_name')) };
}
