// The config and secret objects of a swarm plan, pure: each object a service of Git names
// and the swarm lacks is created (before the services); each object of this cluster that no
// service will use once the plan has run is removed (after them). An object still named by
// a service Flotilla keeps (prune off, or not its own) is left where it is, because Swarm
// refuses to delete an object in use.
import { isManagedBy } from '../../docker/labels.js';
import type { DesiredObject } from './swarm-objects.js';
import { referencedObjects } from './swarm-objects.js';
import type { SwarmAction, SwarmObservation, SwarmService } from './swarm-types.js';

const key = (o: { kind: string; name: string }): string => `${o.kind} ${o.name}`;

/** "<kind> <name>" -> ID of the objects this cluster already has. */
export function objectIds(cluster: string, o: SwarmObservation): Map<string, string> {
  return new Map(o.objects.filter((x) => isManagedBy(x.labels, cluster)).map((x) => [key(x), x.id]));
}

export function objectCreateActions(cluster: string, wanted: ReadonlyArray<{ stack: string; object: DesiredObject }>, o: SwarmObservation): SwarmAction[] {
  const have = objectIds(cluster, o);
  const seen = new Set<string>();
  const out: SwarmAction[] = [];
  for (const { stack, object } of wanted) {
    if (have.has(key(object)) || seen.has(key(object))) continue;
    seen.add(key(object));
    out.push({ type: object.kind === 'config' ? 'config-create' : 'secret-create', stack, service: '', node: '', kind: object.kind, name: object.name, labels: object.labels, content: object.content, reason: `${object.kind} ${object.file} has no Swarm ${object.kind} ${object.name} yet (objects are named by content)`, cause: 'converge' });
  }
  return out;
}

/**
 * `kept`: live services that stay as they are after the plan (not declared, and not removed
 * by it); the objects they reference stay too.
 */
export function objectRemoveActions(cluster: string, wanted: ReadonlySet<string>, kept: readonly SwarmService[], o: SwarmObservation): SwarmAction[] {
  const inUse = new Set(kept.flatMap((s) => referencedObjects(s.spec)));
  return o.objects
    .filter((x) => isManagedBy(x.labels, cluster) && !wanted.has(key(x)) && !inUse.has(key(x)))
    .map((x): SwarmAction => ({ type: x.kind === 'config' ? 'config-remove' : 'secret-remove', stack: x.labels['flotilla.stack'] ?? '', service: '', node: '', kind: x.kind, id: x.id, name: x.name, reason: `no service of this commit uses ${x.kind} ${x.name} any more`, cause: 'converge' }));
}
