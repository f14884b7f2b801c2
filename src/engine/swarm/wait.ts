// After a service is created or updated, Swarm rolls it by its update_config; Flotilla
// watches UpdateStatus and the service's tasks and judges the rollout by the plain-host
// rules: it fails when a task of the new spec exits, is rejected or turns unhealthy (Swarm
// fails an unhealthy task), or when the update pauses; it succeeds when the desired number
// of tasks of the new spec run and have stayed running for `monitor`.
import type { SwarmManagers } from './manager-client.js';
import { differingPaths } from './spec-compare.js';

const POLL_MS = 500;
/** On top of start_period + monitor: image pulls and scheduling. */
const MARGIN_MS = 60_000;
const FAILED = new Set(['failed', 'rejected', 'orphaned']);

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});

export interface WaitTarget {
  id: string;
  name: string;
  /** The ContainerSpec sent, to tell tasks of the new spec from old ones. */
  containerSpec: Raw;
  replicas: number | 'global';
  monitorMs: number;
  startPeriodMs: number;
}

export type WaitVerdict = { ok: true } | { ok: false; reason: string };

export async function waitForService(managers: SwarmManagers, target: WaitTarget, signal: AbortSignal): Promise<WaitVerdict> {
  const deadline = Date.now() + target.startPeriodMs + target.monitorMs + MARGIN_MS;
  const firstSeenRunning = new Map<string, number>();
  for (;;) {
    signal.throwIfAborted();
    const [service, tasks] = await Promise.all([
      managers.call<Raw>(`inspect service ${target.name}`, { method: 'GET', path: `/services/${target.id}`, ok: [200] }, signal),
      managers.call<unknown[]>(`list tasks of ${target.name}`, { method: 'GET', path: '/tasks', query: { filters: JSON.stringify({ service: [target.id] }) }, ok: [200] }, signal),
    ]);
    const since = Date.parse(String(service.UpdatedAt ?? service.CreatedAt ?? '')) || 0;
    const update = rec(service.UpdateStatus);
    const state = String(update.State ?? '');
    if (state === 'paused' || state.startsWith('rollback')) return { ok: false, reason: `Swarm ${state === 'paused' ? 'paused the update' : `update state is ${state}`}: ${String(update.Message ?? '')}`.trim() };
    const current = tasks.map(rec).filter((t) => differingPaths(target.containerSpec, rec(rec(t.Spec).ContainerSpec)).length === 0);
    const failed = current.find((t) => FAILED.has(String(rec(t.Status).State)) && (Date.parse(String(t.CreatedAt ?? '')) || 0) >= since - 1_000);
    if (failed) {
      const status = rec(failed.Status);
      return { ok: false, reason: `task ${String(failed.ID).slice(0, 12)} ${String(status.State)}: ${String(status.Err || status.Message || 'no reason given')}` };
    }
    const now = Date.now();
    const running = current.filter((t) => t.DesiredState === 'running' && rec(t.Status).State === 'running');
    for (const t of running) if (!firstSeenRunning.has(String(t.ID))) firstSeenRunning.set(String(t.ID), (Date.parse(String(t.CreatedAt ?? '')) || 0) < since ? 0 : now);
    const stable = running.filter((t) => now - (firstSeenRunning.get(String(t.ID)) ?? now) >= target.monitorMs);
    const wanted = target.replicas === 'global' ? Math.max(1, current.filter((t) => t.DesiredState === 'running').length) : target.replicas;
    if (state !== 'updating' && stable.length >= wanted) return { ok: true };
    if (now > deadline) return { ok: false, reason: `${running.length} of ${wanted} task(s) of the new spec running (${stable.length} for monitor) within ${Math.round((target.startPeriodMs + target.monitorMs + MARGIN_MS) / 1000)} s` };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
