// Generic webhook: the FleetEvent as the JSON body, signed like GitHub signs its webhooks
// so that receivers can reuse their verification code:
//   X-Flotilla-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes with the secret>
//   X-Flotilla-Event: <event type>    X-Flotilla-Delivery: <id, the same on every retry>
// The URL may be written in Git (it is not the credential); the secret never is.
import { createHmac } from 'node:crypto';
import { carriesCredentials } from './check-options.js';
import type { ProviderFactory } from './context.js';
import { expectSuccess, post, safeTarget } from './http.js';
import { requireHttpUrl, requireSecretOption, stringOption } from './options.js';
import { NotificationConfigError } from './provider.js';

export const SIGNATURE_HEADER = 'x-flotilla-signature';
export const EVENT_HEADER = 'x-flotilla-event';
export const DELIVERY_HEADER = 'x-flotilla-delivery';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export const createWebhookProvider: ProviderFactory = (spec, context) => {
  const url = requireHttpUrl(spec, requireSecretOption(spec, 'url', context.secrets, true), 'the webhook URL');
  if (stringOption(spec, 'url') !== undefined && carriesCredentials(url)) {
    throw new NotificationConfigError(spec.name, 'the webhook URL written in Git carries a user, password or query string, which may be a credential: give it with urlFile or urlEnv');
  }
  const secret = requireSecretOption(spec, 'secret', context.secrets, false);
  const target = safeTarget(url);
  return {
    kind: 'webhook',
    target,
    async deliver(event, attempt) {
      const body = JSON.stringify(event);
      const headers = { [SIGNATURE_HEADER]: signBody(secret, body), [EVENT_HEADER]: event.type, [DELIVERY_HEADER]: attempt.id };
      const result = await post({ url, body, headers, timeoutMs: context.timeoutMs, signal: attempt.signal });
      expectSuccess(result, target);
    },
  };
};
