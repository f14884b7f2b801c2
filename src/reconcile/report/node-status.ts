// A node as status shows it, and what the log says when its availability changes. On a
// swarm an operator can drain or pause a node (`docker node update --availability`): it is
// up (its daemon answers), but takes no new tasks, and a drained one has its tasks moved by
// Swarm. Flotilla reports it and never changes it back: that is the operator's call.
import type { ObservedNode } from '../../docker/types.js';
import type { NodeStatus } from './status.js';

const NOT_SCHEDULABLE: Record<'drain' | 'pause', string> = {
  drain: 'drained by an operator: it takes no tasks and Swarm moves its tasks to other nodes; Flotilla leaves it drained',
  pause: 'paused by an operator: its tasks keep running but it takes no new ones; Flotilla leaves it paused',
};

export function nodeStatus(n: ObservedNode): NodeStatus {
  const held = n.availability === 'drain' || n.availability === 'pause' ? n.availability : undefined;
  return {
    name: n.name,
    up: n.up,
    ...(n.error ? { error: n.error } : {}),
    ...(n.availability ? { availability: n.availability, schedulable: n.up && !held } : {}),
    ...(held ? { note: NOT_SCHEDULABLE[held] } : {}),
  };
}

/** The log line for a node whose availability changed since the last observation, if it did. */
export function availabilityChange(before: ObservedNode['availability'], n: ObservedNode): { level: 'info' | 'warn'; message: string } | undefined {
  const now = n.availability;
  if (now === undefined || now === before) return undefined;
  if (now === 'active') return before === undefined ? undefined : { level: 'info', message: `node is ${now} again: it takes tasks` };
  return { level: 'warn', message: `node is ${now === 'drain' ? 'drained' : 'paused'}: ${NOT_SCHEDULABLE[now]}` };
}
