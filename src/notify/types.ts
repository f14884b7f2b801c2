// What the reconciler tells the outside world, and the one interface through which it does.
// The reconciler only emits events; delivery (filters, retries, backoff, de-duplication of
// repeated drift) belongs to the dispatcher, so a slow or failing provider can never fail
// or delay a deploy.

export type FleetEventType = 'deployed' | 'failed' | 'reverted' | 'drift' | 'validation_failed' | 'node_down' | 'untrusted';

export interface FleetEvent {
  type: FleetEventType;
  cluster: string;
  /** The commit concerned (for `reverted`: the failed commit; `restoredRevision` holds the good one). */
  revision?: string;
  restoredRevision?: string;
  stacks: string[];
  /** "stack/service" */
  services: string[];
  nodes: string[];
  /** A sentence for a person, e.g. "shop/web failed its health check on node-b; reverted to 1a2b3c4". */
  message: string;
  at: string;
  /** Event-specific facts (validation problems, drift entries, failures), JSON-serializable. */
  details?: Record<string, unknown>;
}

export interface Notifier {
  /** Fire and forget: never throws, never blocks the caller on delivery. */
  notify(event: FleetEvent): void;
}

export const noNotifier: Notifier = { notify: () => undefined };
