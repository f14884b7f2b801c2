// Config and secret objects through a manager's Engine API: made before the services that
// reference them, deleted after the services have rolled. A secret's clear bytes leave their
// wrapper only here, in the body of the create call; Swarm keeps them encrypted in its Raft
// log and mounts them on a tmpfs in each task.
import { contentBytes } from '../../manifests/secret-bytes.js';
import { SwarmCallError, type SwarmManagers } from './manager-client.js';
import type { CreateObjectAction, RemoveObjectAction } from './swarm-types.js';

type Raw = Record<string, unknown>;

/** Creates the object and resolves with its ID; one that already exists under the name (a cycle cut short) is taken as is. */
export async function createObject(managers: SwarmManagers, a: CreateObjectAction, signal: AbortSignal): Promise<string> {
  const bytes = contentBytes(a.content);
  if (bytes === undefined) throw new Error(`${a.kind} ${a.name}: its content is not in memory (a desired state read back from disk); reconcile from the commit in Git`);
  const path = a.kind === 'config' ? '/configs' : '/secrets';
  try {
    const made = await managers.call<Raw>(`create ${a.kind} ${a.name}`, { method: 'POST', path: `${path}/create`, body: { Name: a.name, Labels: a.labels, Data: bytes.toString('base64') }, ok: [201] }, signal);
    return String(made.ID);
  } catch (err) {
    if (!(err instanceof SwarmCallError) || err.statusCode !== 409) throw err;
    // Named by content: an object of that name holds these bytes already.
    const found = await managers.call<unknown[]>(`find ${a.kind} ${a.name}`, { method: 'GET', path, query: { filters: JSON.stringify({ name: [a.name] }) }, ok: [200] }, signal);
    const same = found.map((x) => x as Raw).find((x) => (x.Spec as Raw | undefined)?.Name === a.name);
    if (!same) throw err;
    return String(same.ID);
  }
}

export type RemoveOutcome = { removed: true } | { removed: false; why: string };

/** Swarm refuses to delete an object a service still names (old tasks going away): that waits for the next cycle, it is no failure. */
export async function removeObject(managers: SwarmManagers, a: RemoveObjectAction, signal: AbortSignal): Promise<RemoveOutcome> {
  const path = a.kind === 'config' ? '/configs' : '/secrets';
  try {
    await managers.call(`remove ${a.kind} ${a.name}`, { method: 'DELETE', path: `${path}/${a.id}`, ok: [200, 204, 404] }, signal);
    return { removed: true };
  } catch (err) {
    if (err instanceof SwarmCallError && (err.statusCode === 400 || err.statusCode === 409)) return { removed: false, why: err.message };
    throw err;
  }
}
