// Builds the FleetEvents the reconciler hands to the notifier: who is concerned (stacks,
// services, nodes) and one sentence a person can act on.
import type { FleetEvent, FleetEventType } from '../../notify/types.js';
import type { ManifestProblem } from '../../manifests/problems.js';
import { formatProblem } from '../../manifests/problems.js';
import type { DriftEntry } from '../plan/actions.js';
import type { ServiceFailure } from '../execute/execution-types.js';

const short = (revision: string | undefined) => (revision ? revision.slice(0, 12) : 'unknown');

function event(type: FleetEventType, cluster: string, fields: Omit<FleetEvent, 'type' | 'cluster' | 'at'>, at: number): FleetEvent {
  return { type, cluster, at: new Date(at).toISOString(), ...fields };
}

export function deployedEvent(cluster: string, revision: string, services: string[], nodes: string[], at: number): FleetEvent {
  return event('deployed', cluster, { revision, stacks: stacksOf(services), services, nodes, message: `${cluster}: deployed ${short(revision)} (${services.length ? services.join(', ') : 'no service changes'})` }, at);
}

export function failedEvent(cluster: string, revision: string, failures: ServiceFailure[], why: string, at: number): FleetEvent {
  const services = unique(failures.map((f) => `${f.stack}/${f.service}`));
  const first = failures[0];
  return event('failed', cluster, {
    revision,
    stacks: stacksOf(services),
    services,
    nodes: unique(failures.map((f) => f.node)),
    message: `${cluster}: rollout of ${short(revision)} failed${first ? ` — ${first.stack}/${first.service} on ${first.node}: ${first.reason}` : ''}; ${why}`,
    details: { failures },
  }, at);
}

export function revertedEvent(cluster: string, failed: string, restored: string, failures: ServiceFailure[], at: number): FleetEvent {
  const services = unique(failures.map((f) => `${f.stack}/${f.service}`));
  const first = failures[0];
  return event('reverted', cluster, {
    revision: failed,
    restoredRevision: restored,
    stacks: stacksOf(services),
    services,
    nodes: unique(failures.map((f) => f.node)),
    message: `${cluster}: ${short(failed)} failed${first ? ` (${first.stack}/${first.service} on ${first.node}: ${first.reason})` : ''}; reverted to ${short(restored)} and quarantined ${short(failed)} — push a fix to deploy again`,
    details: { failures },
  }, at);
}

export function validationFailedEvent(cluster: string, revision: string, problems: ManifestProblem[], at: number): FleetEvent {
  const files = unique(problems.map((p) => p.file));
  return event('validation_failed', cluster, {
    revision,
    stacks: [],
    services: [],
    nodes: [],
    message: `${cluster}: commit ${short(revision)} is invalid and was not applied (${problems.length} error(s) in ${files.join(', ')}); first: ${problems[0] ? formatProblem(problems[0]) : ''}`,
    details: { problems },
  }, at);
}

export function untrustedCommitEvent(cluster: string, revision: string, reason: string, stayingOn: string | undefined, at: number): FleetEvent {
  return event('untrusted', cluster, {
    revision,
    stacks: [],
    services: [],
    nodes: [],
    message: `${cluster}: commit ${short(revision)} is not applied: ${reason}; the cluster stays on ${stayingOn ? short(stayingOn) : 'what it runs'}`,
    details: { reason },
  }, at);
}

export function nodeDownEvent(cluster: string, node: string, error: string | undefined, at: number): FleetEvent {
  return event('node_down', cluster, { stacks: [], services: [], nodes: [node], message: `${cluster}: node ${node} does not answer${error ? ` (${error})` : ''}; its replicas are rescheduled if it stays down past the grace period`, details: { error } }, at);
}

export function driftEvent(cluster: string, revision: string | undefined, entries: DriftEntry[], at: number): FleetEvent {
  const services = unique(entries.map((d) => `${d.stack}/${d.service}`));
  const summary = entries.slice(0, 5).map((d) => `${d.count} ${d.kind} ${d.stack}/${d.service}${d.node ? ` on ${d.node}` : ''}`).join(', ');
  return event('drift', cluster, {
    ...(revision ? { revision } : {}),
    stacks: stacksOf(services),
    services,
    nodes: unique(entries.map((d) => d.node).filter(Boolean)),
    message: `${cluster}: the fleet differs from Git: ${summary}${entries.length > 5 ? ` and ${entries.length - 5} more` : ''}`,
    details: { drift: entries },
  }, at);
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

function stacksOf(services: string[]): string[] {
  return unique(services.map((s) => s.split('/')[0] as string));
}
