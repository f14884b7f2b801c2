// The Notifier the reconciler talks to. Per `spec.notifications` entry: an event filter, a
// provider from the factory map, a bounded queue with its own worker, and bounded retries
// with backoff. notify() only enqueues: it never throws and never waits for a receiver.
// Every outcome is counted in flotilla_notifications_total{provider,result} with result
// success | failed | dropped | misconfigured, and every failure is logged.
import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import type { Logger } from '../log.js';
import type { NotificationSpec } from '../manifests/model.js';
import type { ProviderContext, ProviderFactory } from './context.js';
import { StandingEventFilter } from './dedupe.js';
import { PROVIDER_FACTORIES } from './factory.js';
import { DeliveryError, NotificationConfigError, type NotificationProvider } from './provider.js';
import { DeliveryQueue } from './queue.js';
import { DEFAULT_RETRY, withRetries, type RetryDecision, type RetryPolicy } from './retry.js';
import type { FleetEvent } from './types.js';
import type { ConfigurableNotifier } from './configurable.js';

export const NOTIFICATION_RESULTS = ['success', 'failed', 'dropped', 'misconfigured'] as const;
export type NotificationResult = (typeof NOTIFICATION_RESULTS)[number];

export interface DispatcherOptions {
  /** flotilla_notifications_total of FlotillaMetrics. */
  metrics: { notificationsTotal: Counter<'provider' | 'result'> };
  log: Logger;
  /** Where `*Env` options are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where relative `*File` options are read from (default the working directory). */
  baseDir?: string;
  /** The logger's SecretRedactor: every notification secret read is registered with it. */
  secrets?: { add(value: string): void };
  factories?: Readonly<Record<string, ProviderFactory>>;
  retry?: RetryPolicy;
  /** Waiting deliveries per notification before the oldest is dropped (default 100). */
  queueSize?: number;
  /** Longest one HTTP request may take (default 10 s). */
  timeoutMs?: number;
  random?: () => number;
  now?: () => number;
}

/** What `describe()` reports about one configured notification; holds no secret. */
export interface NotificationTargetStatus {
  name: string;
  provider: string;
  events: string[];
  target?: string;
  problem?: string;
}

interface Pending {
  event: FleetEvent;
  id: string;
}

interface Target {
  spec: NotificationSpec;
  provider?: NotificationProvider;
  problem?: string;
  queue?: DeliveryQueue<Pending>;
}

export class NotificationDispatcher implements ConfigurableNotifier {
  private targets: Target[] = [];
  private configured = '[]';
  private readonly standing = new StandingEventFilter();
  private readonly shutdown = new AbortController();
  private readonly retry: RetryPolicy;
  private readonly context: ProviderContext;

  constructor(private readonly options: DispatcherOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    const onSecret = options.secrets ? (value: string) => options.secrets?.add(value) : undefined;
    this.context = { secrets: { env: options.env ?? process.env, baseDir: options.baseDir ?? process.cwd(), ...(onSecret ? { onSecret } : {}) }, timeoutMs: options.timeoutMs ?? 10_000 };
  }

  /**
   * Builds a provider for each notification, reading its secrets now. Idempotent: the same
   * specs keep the existing providers (and do not re-read secrets). A notification that
   * cannot work is logged once here and its events counted as misconfigured.
   */
  configure(specs: readonly NotificationSpec[]): void {
    try {
      const key = JSON.stringify(specs);
      if (key === this.configured) return;
      this.configured = key;
      for (const old of this.targets) old.queue?.close(false);
      this.targets = specs.map((spec) => this.build(spec));
    } catch (err) {
      this.options.log.error({ err }, 'could not configure notifications');
    }
  }

  notify(event: FleetEvent): void {
    try {
      if (!this.standing.admit(event)) return;
      for (const target of this.targets) {
        if (!target.spec.events.includes(event.type)) continue;
        if (!target.queue) {
          this.count(target.spec.provider, 'misconfigured');
          continue;
        }
        target.queue.push({ event, id: randomUUID() });
      }
    } catch (err) {
      // The caller is a deploy: whatever goes wrong here must not reach it.
      this.options.log.error({ err, event: event?.type }, 'could not queue a notification');
    }
  }

  describe(): NotificationTargetStatus[] {
    return this.targets.map((t) => ({ name: t.spec.name, provider: t.spec.provider, events: [...t.spec.events], ...(t.provider ? { target: t.provider.target } : {}), ...(t.problem ? { problem: t.problem } : {}) }));
  }

  /** Waits up to `timeoutMs` for queued deliveries (for a graceful shutdown); true when all went out. */
  async drain(timeoutMs: number): Promise<boolean> {
    const results = await Promise.all(this.targets.map((t) => t.queue?.idle(timeoutMs) ?? true));
    return results.every(Boolean);
  }

  /** Cancels retries and requests in flight; later events are dropped. */
  close(): void {
    for (const t of this.targets) for (const p of t.queue?.close(true) ?? []) this.dropped(t, p, 'the daemon is shutting down');
    this.shutdown.abort(new Error('notifications closed'));
  }

  private build(spec: NotificationSpec): Target {
    const factory = (this.options.factories ?? PROVIDER_FACTORIES)[spec.provider];
    for (const result of NOTIFICATION_RESULTS) this.options.metrics.notificationsTotal.inc({ provider: spec.provider, result }, 0);
    try {
      if (!factory) throw new NotificationConfigError(spec.name, `unknown provider ${spec.provider}`);
      const provider = factory(spec, this.context);
      const target: Target = { spec, provider };
      target.queue = new DeliveryQueue<Pending>(this.options.queueSize ?? 100, (p) => this.deliver(target, provider, p), (p) => this.dropped(target, p, 'the queue is full'));
      this.options.log.info({ notification: spec.name, provider: spec.provider, target: provider.target, events: spec.events }, 'notification configured');
      return target;
    } catch (err) {
      const message = err instanceof NotificationConfigError ? err.message : `notification ${spec.name}: ${(err as Error).message}`;
      this.options.log.error({ notification: spec.name, provider: spec.provider }, `${message}; its events will not be sent`);
      return { spec, problem: message };
    }
  }

  private async deliver(target: Target, provider: NotificationProvider, pending: Pending): Promise<void> {
    const { spec } = target;
    const signal = this.shutdown.signal;
    const outcome = await withRetries(
      (attempt) => {
        if (signal.aborted) throw new DeliveryError('the daemon is shutting down', false);
        const attemptSignal = AbortSignal.any([signal, AbortSignal.timeout(this.context.timeoutMs)]);
        return provider.deliver(pending.event, { id: pending.id, attempt, signal: attemptSignal });
      },
      (err) => this.classify(spec, provider, pending, err),
      this.retry,
      { now: this.options.now ?? Date.now, random: this.options.random ?? Math.random, sleep: (ms) => pause(ms, signal) },
    );
    const fields = { notification: spec.name, provider: spec.provider, target: provider.target, event: pending.event.type, cluster: pending.event.cluster, commit: pending.event.revision, delivery: pending.id, attempts: outcome.attempts };
    if (outcome.ok) {
      this.count(spec.provider, 'success');
      this.options.log.debug(fields, 'notification sent');
    } else if (signal.aborted) {
      // Cut short by close(): not the receiver's failure.
      this.dropped(target, pending, 'the daemon is shutting down');
    } else {
      this.count(spec.provider, 'failed');
      this.options.log.error({ ...fields, error: messageOf(outcome.error) }, `notification ${spec.name} failed; giving up`);
    }
  }

  private classify(spec: NotificationSpec, provider: NotificationProvider, pending: Pending, err: unknown): RetryDecision {
    const retryable = err instanceof DeliveryError ? err.retryable : false;
    if (retryable) this.options.log.warn({ notification: spec.name, provider: spec.provider, target: provider.target, event: pending.event.type, delivery: pending.id, error: messageOf(err) }, 'notification attempt failed; will retry');
    return err instanceof DeliveryError && err.retryAfterMs !== undefined ? { retryable, afterMs: err.retryAfterMs } : { retryable };
  }

  private dropped(target: Target, pending: Pending, why: string): void {
    this.count(target.spec.provider, 'dropped');
    this.options.log.warn({ notification: target.spec.name, provider: target.spec.provider, event: pending.event.type, delivery: pending.id }, `notification dropped: ${why}`);
  }

  private count(provider: string, result: NotificationResult): void {
    this.options.metrics.notificationsTotal.inc({ provider, result });
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A pause between retries that close() ends at once, so a shutdown never waits out a backoff. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
