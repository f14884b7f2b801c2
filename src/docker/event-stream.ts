// One node's Engine `/events` subscription, kept open: dockerode's getEvents (and the Engine
// API itself) never reconnect, and a daemon restart, a network blip or an idle proxy ends a
// stream silently as far as the subscriber's logic goes. This loop reopens it with capped
// exponential backoff and reports every up/down change, so the caller can fall back to
// polling while a node's stream is down and re-check the node when it comes back.
import type { Clock } from '../clock.js';
import { readEngineEvents, type EngineEvent, type EngineEventSource, type EventFilters } from './engine-events.js';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A connection that stayed up this long resets the backoff to `initialMs`. */
  stableMs: number;
}

/**
 * 0.5 s doubling to 15 s: a restarted dockerd (a few seconds) is back on the stream within
 * about a second of answering, while a node that is gone costs one attempt per 15 s.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 15_000, stableMs: 10_000 };

/**
 * Delay before reconnect attempt `failures` (1 = first retry). No jitter: there is one
 * stream per node and one daemon, so there is no herd to spread.
 */
export function backoffDelayMs(failures: number, policy: BackoffPolicy): number {
  const exponent = Math.max(0, failures - 1);
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(exponent, 30));
}

export type StreamState = { up: true } | { up: false; error: string; retryInMs: number };

export interface EventStreamHandlers {
  onEvent(event: EngineEvent): void;
  /** Each change: opened (`up`), or dropped/refused with the time until the next attempt. */
  onState(state: StreamState): void;
}

export class ReconnectingEventStream {
  private readonly controller = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly source: EngineEventSource,
    private readonly filters: EventFilters,
    private readonly handlers: EventStreamHandlers,
    private readonly clock: Clock,
    private readonly policy: BackoffPolicy = DEFAULT_BACKOFF,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Closes the stream and waits for the loop to end. */
  async stop(): Promise<void> {
    this.controller.abort(new Error('event stream closed'));
    await this.running;
  }

  private async loop(): Promise<void> {
    const signal = this.controller.signal;
    let failures = 0;
    while (!signal.aborted) {
      let openedAt: number | undefined;
      let error: string;
      try {
        const stream = await this.source.openEventStream(this.filters, signal);
        if (signal.aborted) {
          stream.destroy();
          return;
        }
        openedAt = this.clock.now();
        this.handlers.onState({ up: true });
        const onAbort = (): void => void stream.destroy();
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          await readEngineEvents(stream, (event) => this.handlers.onEvent(event));
          error = 'the daemon ended the event stream';
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      if (signal.aborted) return;
      if (openedAt !== undefined && this.clock.now() - openedAt >= this.policy.stableMs) failures = 0;
      failures++;
      const retryInMs = backoffDelayMs(failures, this.policy);
      this.handlers.onState({ up: false, error, retryInMs });
      try {
        await this.clock.sleep(retryInMs, signal);
      } catch {
        return; // stopped while waiting
      }
    }
  }
}
