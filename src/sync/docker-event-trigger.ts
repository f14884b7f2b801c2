// Self-heal within about a second: each node's Docker event stream (managed containers
// that die, stop, are destroyed or turn unhealthy) asks for a reconcile through the same
// TriggerQueue as webhooks and the poll timer. An event is only a hint: the reconcile
// re-reads Git and every node (level-triggered), so a lost, duplicated or out-of-order
// event costs nothing but latency, and the poll stays the backstop. A node whose stream
// cannot be opened (or an engine without one) is simply left to the poll until it can.
//
// Flotilla's own executor makes these events too (it stops and removes replaced and surplus
// containers). They are not filtered out, because they cannot loop: events only enqueue,
// the queue runs one reconcile at a time and folds every request made during a run into a
// single follow-up, and that follow-up finds the fleet converged, so it makes no Docker
// writes and therefore no events. A reconcile that changes containers thus costs at most one
// extra no-op reconcile (a fetch and one list per node). Filtering by "containers the
// executor is touching" would instead risk swallowing a real out-of-band kill that happens
// during a long rollout, which would then wait for the next poll (possibly an hour).
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { FlotillaMetrics } from '../metrics.js';
import type { DockerNode } from '../docker/types.js';
import { LABEL } from '../docker/labels.js';
import { isEngineEventSource, type EngineEvent, type EventFilters } from '../docker/engine-events.js';
import { DEFAULT_BACKOFF, ReconnectingEventStream, type BackoffPolicy } from '../docker/event-stream.js';
import { Debouncer, type DebouncePolicy } from './debounce.js';

/** The events that can mean a managed replica is gone or broken. */
export const SELF_HEAL_FILTERS: EventFilters = {
  type: ['container'],
  label: [`${LABEL.managed}=true`],
  // health_status is matched as a prefix by the daemon ("health_status: unhealthy").
  event: ['die', 'destroy', 'stop', 'health_status'],
};

/**
 * A `docker rm -f` yields die then destroy, a `docker stop` die then stop, 100-250 ms apart
 * on a busy host: after a die, a quarter second of quiet waits for the rest (looking while
 * the container is half removed would plan against a container about to vanish), and a
 * crash's die alone may be followed by Docker's own restart. Destroy and stop end their
 * sequence, so they fire after a short quiet. A storm fires at most once a second (and the
 * queue folds what comes during a run).
 */
export const DEFAULT_DEBOUNCE: DebouncePolicy = { quietMs: 250, maxWaitMs: 1_000 };
/** Quiet after an event that ends its sequence (destroy, stop). */
export const FINAL_EVENT_QUIET_MS = 50;

export interface DockerEventTriggerOptions {
  /** Enqueues a reconcile (TriggerQueue.request). */
  request(reason: string): void;
  clock: Clock;
  metrics: Pick<FlotillaMetrics, 'setEventsStreamUp' | 'forgetEventsStream'>;
  log: Logger;
  debounce?: DebouncePolicy;
  backoff?: BackoffPolicy;
}

interface Watch {
  node: DockerNode;
  stream?: ReconnectingEventStream;
  up: boolean;
}

/** Whether an event can call for an action; a replica turning healthy never does. */
export function callsForReconcile(event: EngineEvent): boolean {
  if (event.type !== 'container' || event.attributes[LABEL.managed] !== 'true') return false;
  if (event.action.startsWith('health_status')) return /unhealthy/.test(event.action);
  return event.action === 'die' || event.action === 'destroy' || event.action === 'stop';
}

export class DockerEventTrigger {
  private readonly watches = new Map<string, Watch>();
  private readonly debouncer: Debouncer;
  private stopped = false;
  private readonly quietMs: number;

  constructor(private readonly options: DockerEventTriggerOptions) {
    this.quietMs = (options.debounce ?? DEFAULT_DEBOUNCE).quietMs;
    // One request for the whole burst: separate ones would start a run on the first and
    // queue a follow-up for the rest.
    this.debouncer = new Debouncer(options.clock, options.debounce ?? DEFAULT_DEBOUNCE, (reasons) => options.request([...reasons].sort().join(' ')));
  }

  /** Follows the nodes the cluster declares now (call after each reconcile: the pool follows Git). */
  align(nodes: readonly DockerNode[]): void {
    if (this.stopped) return;
    const wanted = new Map(nodes.map((n) => [n.name, n]));
    for (const [name, watch] of this.watches) {
      // A node removed from Git, or given a new endpoint (the pool built a new client).
      if (wanted.get(name) !== watch.node) this.unwatch(name, watch);
    }
    for (const node of nodes) if (!this.watches.has(node.name)) this.watch(node);
  }

  /** Whether a node's stream is open now (for tests and status). */
  isUp(node: string): boolean {
    return this.watches.get(node)?.up ?? false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.debouncer.cancel();
    await Promise.all([...this.watches.values()].map((w) => w.stream?.stop()));
    this.watches.clear();
  }

  private watch(node: DockerNode): void {
    const watch: Watch = { node, up: false };
    this.watches.set(node.name, watch);
    this.options.metrics.setEventsStreamUp(node.name, false);
    if (!isEngineEventSource(node)) {
      this.options.log.info({ node: node.name }, 'this node has no Docker event stream: out-of-band changes are found by the poll');
      return;
    }
    const log = this.options.log.child({ node: node.name });
    let downLogged = false;
    watch.stream = new ReconnectingEventStream(node, SELF_HEAL_FILTERS, {
      onEvent: (event) => {
        if (!callsForReconcile(event)) return;
        log.debug({ action: event.action, container: event.attributes.name }, 'docker event');
        const final = event.action === 'destroy' || event.action === 'stop';
        this.debouncer.push(`docker-event:${node.name}`, final ? Math.min(FINAL_EVENT_QUIET_MS, this.quietMs) : this.quietMs);
      },
      onState: (state) => {
        if (this.watches.get(node.name) !== watch) return; // replaced or removed meanwhile
        watch.up = state.up;
        this.options.metrics.setEventsStreamUp(node.name, state.up);
        if (state.up) {
          log.info('watching Docker events');
          downLogged = false;
          // Whatever happened while it was not subscribed went unseen: look once.
          this.debouncer.push(`docker-events-connected:${node.name}`);
        } else if (!downLogged) {
          log.warn({ error: state.error, retryInMs: state.retryInMs }, 'Docker event stream is down: falling back to the poll while it reconnects');
          downLogged = true;
        } else {
          log.debug({ error: state.error, retryInMs: state.retryInMs }, 'Docker event stream still down');
        }
      },
    }, this.options.clock, this.options.backoff ?? DEFAULT_BACKOFF);
    watch.stream.start();
  }

  private unwatch(name: string, watch: Watch): void {
    this.watches.delete(name);
    void watch.stream?.stop();
    this.options.metrics.forgetEventsStream(name);
  }
}
