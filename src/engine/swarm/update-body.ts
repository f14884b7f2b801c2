// The body of POST /services/{id}/update, from the spec Git wants. Two things differ from
// that spec, neither of them part of what is compared or hashed:
// - a revert rolls by rollback_config (revert-spec.ts);
// - TaskTemplate.Placement is always an object. Docker 20.10's swarmkit dereferences it
//   when only the placement of a service changed (orchestrator.nodeMatches), so an update
//   that drops a service's last constraint, sent without Placement, crashed the manager's
//   dockerd (nil pointer panic; the swarm integration test hit it). An empty one is the
//   same placement to Swarm.
import { revertSpec } from './revert-spec.js';
import type { SwarmServiceSpec } from './swarm-types.js';

export function updateBody(spec: SwarmServiceSpec, rollback: boolean): SwarmServiceSpec {
  const body = rollback ? revertSpec(spec) : spec;
  if (body.TaskTemplate.Placement !== undefined) return body;
  return { ...body, TaskTemplate: { ...body.TaskTemplate, Placement: {} } };
}
