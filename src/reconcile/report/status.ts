// What `GET /api/v1/status` and `flotilla status` tell a person: which commit is tracked and
// which is applied, the last error in full, and per service its sync state, drift and
// where its replicas run.
import type { ManifestProblem } from '../../manifests/problems.js';
import type { DriftKind } from '../../metrics.js';

export type Phase = 'starting' | 'idle' | 'reconciling' | 'stalled' | 'paused';

export interface ReplicaStatus {
  slot: string;
  node: string;
  container: string;
  state: string;
  health?: string;
}

export interface ServiceStatus {
  stack: string;
  service: string;
  inSync: boolean;
  desiredReplicas: number;
  replicas: ReplicaStatus[];
  drift: Array<{ node: string; kind: DriftKind; count: number; containers: string[] }>;
  unplaceable: Array<{ slot: string; reason: string }>;
  /** Replicas left as they are because their node is down (within its grace period). */
  held?: string[];
}

export interface NodeStatus {
  name: string;
  /** Its Docker API (or the swarm's view of it) answers. */
  up: boolean;
  error?: string;
  /** Swarm nodes: active, pause or drain, as an operator set it. */
  availability?: 'active' | 'pause' | 'drain';
  /** Swarm nodes: whether new tasks may be placed there (up and active). */
  schedulable?: boolean;
  /** Why a node that is up takes no tasks. */
  note?: string;
}

export interface ErrorStatus {
  code: string;
  message: string;
  at: string;
  revision?: string;
  problems?: ManifestProblem[];
}

export interface DaemonStatus {
  cluster?: string;
  source: string;
  branch: string;
  phase: Phase;
  trackedRevision?: string;
  appliedRevision?: string;
  lastGoodRevision?: string;
  quarantined: Array<{ revision: string; reason: string; at: string }>;
  /** A rollout stopped for a person (failure_action: pause, or a failed revert). */
  paused?: { revision: string; reason: string; at: string };
  lastReconcile?: { startedAt: string; finishedAt: string; durationMs: number; result: string; reasons: string[] };
  lastError?: ErrorStatus;
  nodes: NodeStatus[];
  conflicts: Array<{ node: string; container: string; reason: string }>;
  services: ServiceStatus[];
}

export function renderStatusText(s: DaemonStatus): string {
  const lines: string[] = [];
  lines.push(`cluster    ${s.cluster ?? '(not loaded yet)'}   phase: ${s.phase}`);
  lines.push(`source     ${s.source} (branch ${s.branch})`);
  lines.push(`tracked    ${s.trackedRevision ?? '-'}`);
  lines.push(`applied    ${s.appliedRevision ?? '-'}`);
  lines.push(`last good  ${s.lastGoodRevision ?? '-'}`);
  if (s.lastReconcile) lines.push(`last sync  ${s.lastReconcile.result} at ${s.lastReconcile.finishedAt} (${s.lastReconcile.durationMs} ms)`);
  for (const q of s.quarantined) lines.push(`quarantined ${q.revision}: ${q.reason}`);
  if (s.paused) lines.push(`PAUSED     ${s.paused.revision} since ${s.paused.at}: ${s.paused.reason}`, '           (nothing is changed until a newer commit arrives)');
  if (s.lastError) {
    lines.push('', `last error [${s.lastError.code}] at ${s.lastError.at}${s.lastError.revision ? ` (revision ${s.lastError.revision})` : ''}:`);
    lines.push(...s.lastError.message.split('\n').map((l) => `  ${l}`));
  }
  lines.push('', 'NODE'.padEnd(20) + 'STATUS');
  for (const n of s.nodes) lines.push(n.name.padEnd(20) + (!n.up ? `down: ${n.error ?? ''}` : n.schedulable === false ? `up, ${n.availability ?? ''}, not schedulable: ${n.note ?? ''}` : 'up'));
  lines.push('', 'SERVICE'.padEnd(32) + 'SYNC'.padEnd(12) + 'REPLICAS'.padEnd(10) + 'PLACEMENT / DRIFT');
  for (const svc of s.services) {
    const running = svc.replicas.filter((r) => r.state === 'running').length;
    const placement = svc.replicas.map((r) => `${r.slot}@${r.node}${r.health ? `(${r.health})` : r.state !== 'running' ? `(${r.state})` : ''}`).join(' ');
    const drift = svc.drift.map((d) => `${d.kind}:${d.count}@${d.node}`).join(' ');
    lines.push(`${`${svc.stack}/${svc.service}`.padEnd(32)}${(svc.inSync ? 'Synced' : 'OutOfSync').padEnd(12)}${`${running}/${svc.desiredReplicas}`.padEnd(10)}${placement}${drift ? `  drift: ${drift}` : ''}`);
    for (const u of svc.unplaceable) lines.push(`${''.padEnd(32)}unplaceable slot ${u.slot}: ${u.reason}`);
    if (svc.held?.length) lines.push(`${''.padEnd(32)}held while their node is down: ${svc.held.join(', ')}`);
  }
  for (const c of s.conflicts) lines.push(`conflict on ${c.node}: ${c.container}: ${c.reason}`);
  return lines.join('\n');
}
