// Gitea and Forgejo: `X-Gitea-Signature` is the bare hex HMAC-SHA256 of the raw body,
// `X-Gitea-Event` the event, `X-Gitea-Delivery` the delivery. Payloads are GitHub-shaped;
// a pull request's head is at refs/pull/N/head of the base repository, as on GitHub.
import { at, quote, str, ZERO_COMMIT } from './payload-fields.js';
import { githubRepo, githubStylePullRequest } from './github.js';
import { verifyHmacHeader } from './signature.js';
import { singleRefPush, type WebhookEvent, type WebhookProvider } from './types.js';

// Gitea says "synchronized" where GitHub says "synchronize".
const REVIEWED_ACTIONS = new Set(['opened', 'synchronized', 'reopened']);

export const giteaProvider: WebhookProvider = {
  name: 'gitea',
  acceptsForm: true,
  authenticate: (req, secret) => verifyHmacHeader(req.headers['x-gitea-signature'] ?? req.headers['x-forgejo-signature'], '', secret, req.body),
  deliveryId: (req) => req.headers['x-gitea-delivery'] ?? req.headers['x-forgejo-delivery'],
  interpret(req, payload): WebhookEvent {
    // Forgejo sends both its own and the Gitea headers; older Forgejo only its own.
    const event = req.headers['x-gitea-event'] ?? req.headers['x-forgejo-event'];
    if (event === 'push') {
      return singleRefPush(githubRepo(at(payload, 'repository')), str(payload, 'ref'), ZERO_COMMIT.test(str(payload, 'after') ?? ''));
    }
    if (event === 'pull_request') return githubStylePullRequest(payload, 'gitea', REVIEWED_ACTIONS);
    return { kind: 'ignored', reason: `event ${quote(event)} is not handled` };
  },
};
