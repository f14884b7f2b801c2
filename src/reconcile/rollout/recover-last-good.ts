// Without a state file, the last good commit can still be read off the fleet: the commit
// label of the running managed containers, when they all agree on one. Anything less
// certain (mixed commits, nothing running) recovers nothing rather than a guess.
import type { ObservedState } from '../../docker/types.js';
import { LABEL, isManagedBy } from '../../docker/labels.js';

export function recoverLastGood(cluster: string, observed: ObservedState): string | undefined {
  const commits = new Set<string>();
  for (const node of observed.nodes) {
    for (const c of node.containers) {
      if (!isManagedBy(c.labels, cluster) || c.state !== 'running' || c.health === 'unhealthy') continue;
      const commit = c.labels[LABEL.commit];
      if (commit) commits.add(commit);
    }
  }
  return commits.size === 1 ? [...commits][0] : undefined;
}
