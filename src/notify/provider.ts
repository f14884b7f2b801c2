// What every notification provider (one file each: slack.ts, webhook.ts, github.ts, ...)
// implements, and the one error type it throws. The dispatcher owns queues, retries and
// counting; a provider only turns one event into one delivery attempt.
import type { FleetEvent } from './types.js';

export interface DeliveryAttempt {
  /** Stable across the retries of one delivery, so a receiver can de-duplicate. */
  id: string;
  /** 1 for the first try. */
  attempt: number;
  /** Aborted when the daemon gives up on the delivery (per-request timeout or shutdown). */
  signal: AbortSignal;
}

export interface NotificationProvider {
  /** The provider kind, e.g. "slack": the `provider` label of flotilla_notifications_total. */
  readonly kind: string;
  /** Where deliveries go, safe to log: an origin without path, token or query. */
  readonly target: string;
  deliver(event: FleetEvent, attempt: DeliveryAttempt): Promise<void>;
}

/**
 * A delivery that did not go through. `retryable` says whether trying again can help
 * (network errors, timeouts, 429 and 5xx) or not (4xx: a wrong URL or token needs a person).
 */
export class DeliveryError extends Error {
  readonly code = 'NOTIFICATION_DELIVERY_FAILED' as const;
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    /** From a Retry-After header, when the receiver asked for a pause. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/**
 * A notification whose configuration cannot work (missing secret file, missing URL). It is
 * reported once when the configuration is loaded, and its events are counted, not sent.
 */
export class NotificationConfigError extends Error {
  readonly code = 'NOTIFICATION_MISCONFIGURED' as const;
  constructor(readonly notification: string, message: string) {
    super(`notification ${notification}: ${message}`);
    this.name = 'NotificationConfigError';
  }
}
