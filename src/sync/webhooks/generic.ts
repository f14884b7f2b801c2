// Any other sender (a CI job, a chat bot, a script): `X-Signature: sha256=<hex>` is the
// HMAC-SHA256 of the raw body with the webhook secret, `X-Delivery-Id` an optional id for
// de-duplication. The body is a JSON object; every field is optional:
//   { "ref": "refs/heads/main" | "branch": "main", "repository": "<clone URL or owner/name>" }
// A body naming another branch or repository is ignored; one naming neither asks for a
// sync of whatever the daemon tracks (a reconcile re-reads Git, so that is always safe).
import { quote, str, strings } from './payload-fields.js';
import { verifyHmacHeader } from './signature.js';
import type { WebhookEvent, WebhookProvider } from './types.js';

export const genericProvider: WebhookProvider = {
  name: 'generic',
  acceptsForm: false,
  authenticate: (req, secret) => verifyHmacHeader(req.headers['x-signature'], 'sha256=', secret, req.body),
  deliveryId: (req) => req.headers['x-delivery-id'],
  interpret(_req, payload): WebhookEvent {
    const event = str(payload, 'event');
    if (event !== undefined && event !== 'push') return { kind: 'ignored', reason: `event ${quote(event)} is not handled (only "push")` };
    const ref = str(payload, 'ref');
    const branch = str(payload, 'branch');
    const repository = str(payload, 'repository');
    const named = ref ?? (branch !== undefined ? `refs/heads/${branch}` : undefined);
    return {
      kind: 'push',
      // A URL (or scp-like address) is compared with its host; a bare owner/name on its path.
      repository: repository === undefined ? undefined : repository.includes(':') ? { urls: strings(repository), fullNames: [] } : { urls: [], fullNames: strings(repository) },
      updated: named === undefined ? undefined : [named],
      deleted: [],
    };
  },
};
