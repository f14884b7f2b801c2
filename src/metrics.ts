// Prometheus metrics with the names of DESIGN.md (alert rules depend on them). One registry
// per daemon, not prom-client's global, so tests can run several daemons in one process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const DRIFT_KINDS = ['missing', 'extra', 'outdated', 'stopped', 'unhealthy'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/**
 * Results whose counters start at 0, so that the first failure after a restart shows up in
 * `increase()` (an alert cannot see a series go from absent to 1). Reverts count as `failed`.
 */
export const RECONCILE_RESULTS = ['success', 'unchanged', 'failed', 'invalid', 'paused', 'superseded', 'untrusted', 'error'] as const;
export const GIT_FETCH_RESULTS = ['success', 'error'] as const;

export class FlotillaMetrics {
  readonly registry = new Registry();
  readonly serviceInSync = new Gauge({ name: 'flotilla_service_in_sync', help: '1 when the service matches Git on every node, else 0', labelNames: ['stack', 'service'], registers: [this.registry] });
  readonly driftContainers = new Gauge({ name: 'flotilla_drift_containers', help: 'Containers that differ from Git, by kind', labelNames: ['stack', 'service', 'node', 'kind'], registers: [this.registry] });
  readonly outOfSyncServices = new Gauge({ name: 'flotilla_out_of_sync_services', help: 'Services not in sync with Git', registers: [this.registry] });
  readonly reconcileTotal = new Counter({ name: 'flotilla_reconcile_total', help: 'Reconciles by result', labelNames: ['result'], registers: [this.registry] });
  readonly reconcileDuration = new Histogram({ name: 'flotilla_reconcile_duration_seconds', help: 'Duration of one reconcile', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers: [this.registry] });
  readonly lastSuccess = new Gauge({ name: 'flotilla_last_successful_reconcile_timestamp_seconds', help: 'Unix time of the last successful reconcile', registers: [this.registry] });
  readonly revisionInfo = new Gauge({ name: 'flotilla_revision_info', help: 'The current and last good revisions (value 1)', labelNames: ['revision', 'state'], registers: [this.registry] });
  // A gauge, not the `invalid` reconcile result: with a valid commit to fall back on, those
  // reconciles succeed (the fleet is kept on it), yet the pushed commit is still not deployed.
  readonly trackedCommitInvalid = new Gauge({ name: 'flotilla_tracked_commit_invalid', help: '1 while the head of the tracked branch fails validation (so it is not applied), else 0', registers: [this.registry] });
  readonly revertsTotal = new Counter({ name: 'flotilla_reverts_total', help: 'Reverts to the last good commit', registers: [this.registry] });
  readonly nodeUp = new Gauge({ name: 'flotilla_node_up', help: '1 when the node\'s Docker API answers', labelNames: ['node'], registers: [this.registry] });
  readonly gitFetchTotal = new Counter({ name: 'flotilla_git_fetch_total', help: 'Git fetches by result', labelNames: ['result'], registers: [this.registry] });
  readonly gitFetchDuration = new Histogram({ name: 'flotilla_git_fetch_duration_seconds', help: 'Duration of a Git fetch', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] });
  readonly webhookRequests = new Counter({ name: 'flotilla_webhook_requests_total', help: 'Webhook deliveries by provider and result', labelNames: ['provider', 'result'], registers: [this.registry] });
  // registry is the normalized host (docker.io for Docker Hub); result is success or why it failed.
  readonly imagePullTotal = new Counter({ name: 'flotilla_image_pull_total', help: 'Image pulls by registry and result (success, unauthorized, not_found, manifest_unknown, unreachable, timeout, credentials_error, error)', labelNames: ['registry', 'result'], registers: [this.registry] });
  readonly eventsStreamUp = new Gauge({ name: 'flotilla_events_stream_up', help: '1 while the node\'s Docker event stream is open (self-heal within a second), 0 while only the poll sees its changes', labelNames: ['node'], registers: [this.registry] });
  readonly notificationsTotal = new Counter({ name: 'flotilla_notifications_total', help: 'Notifications by provider and result', labelNames: ['provider', 'result'], registers: [this.registry] });

  private knownServices = new Set<string>();
  private knownDrift = new Set<string>();
  private knownNodes = new Set<string>();

  constructor(defaultMetrics = true) {
    // Process metrics keep their standard names (process_cpu_seconds_total, nodejs_*), so
    // that generic dashboards and alerts for processes work on Flotilla unchanged.
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
    for (const result of RECONCILE_RESULTS) this.reconcileTotal.inc({ result }, 0);
    for (const result of GIT_FETCH_RESULTS) this.gitFetchTotal.inc({ result }, 0);
  }

  /** Replaces the per-service and per-node series so removed services and nodes disappear. */
  setFleet(services: Array<{ stack: string; service: string; inSync: boolean; drift: Array<{ node: string; kind: DriftKind; count: number }> }>, nodes: Array<{ name: string; up: boolean }>): void {
    const services2 = new Set<string>();
    const drift2 = new Set<string>();
    for (const s of services) {
      const key = JSON.stringify([s.stack, s.service]);
      services2.add(key);
      this.serviceInSync.set({ stack: s.stack, service: s.service }, s.inSync ? 1 : 0);
      for (const d of s.drift) {
        const dkey = JSON.stringify([s.stack, s.service, d.node, d.kind]);
        drift2.add(dkey);
        this.driftContainers.set({ stack: s.stack, service: s.service, node: d.node, kind: d.kind }, d.count);
      }
    }
    for (const key of this.knownServices) if (!services2.has(key)) {
      const [stack, service] = JSON.parse(key) as [string, string];
      this.serviceInSync.remove({ stack, service });
    }
    for (const key of this.knownDrift) if (!drift2.has(key)) {
      const [stack, service, node, kind] = JSON.parse(key) as [string, string, string, string];
      this.driftContainers.remove({ stack, service, node, kind });
    }
    this.knownServices = services2;
    this.knownDrift = drift2;
    this.outOfSyncServices.set(services.filter((s) => !s.inSync).length);

    const nodes2 = new Set(nodes.map((n) => n.name));
    for (const n of nodes) this.nodeUp.set({ node: n.name }, n.up ? 1 : 0);
    for (const name of this.knownNodes) if (!nodes2.has(name)) this.nodeUp.remove({ node: name });
    this.knownNodes = nodes2;
  }

  setEventsStreamUp(node: string, up: boolean): void {
    this.eventsStreamUp.set({ node }, up ? 1 : 0);
  }

  /** A node no longer declared: its series goes. */
  forgetEventsStream(node: string): void {
    this.eventsStreamUp.remove({ node });
  }

  setRevisions(current: string | undefined, lastGood: string | undefined): void {
    this.revisionInfo.reset();
    if (current) this.revisionInfo.set({ revision: current, state: 'current' }, 1);
    if (lastGood) this.revisionInfo.set({ revision: lastGood, state: 'last_good' }, 1);
  }
}
