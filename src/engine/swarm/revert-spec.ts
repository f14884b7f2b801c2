// The spec a whole-cluster revert sends Swarm. Swarm rolls an update by the UpdateConfig of
// the spec it receives, and its own RollbackConfig is only read by its per-service rollback,
// which Flotilla does not use (failure_action rollback is Flotilla's revert). So the way back
// carries the service's rollback_config as its UpdateConfig, and keeps RollbackConfig as
// declared. The labels (spec hash, commit) still describe the Git spec, and a live spec that
// differs from Git only by this swap is in sync: drift detection does not flap after a revert.
import { differingPaths } from './spec-compare.js';
import type { SwarmServiceSpec } from './swarm-types.js';

export function revertSpec(spec: SwarmServiceSpec): SwarmServiceSpec {
  return spec.RollbackConfig === undefined ? spec : { ...spec, UpdateConfig: spec.RollbackConfig };
}

/** `fields` of `want` against `have` are only the UpdateConfig a revert sent. */
export function onlyRevertedUpdateConfig(fields: readonly string[], want: SwarmServiceSpec, have: SwarmServiceSpec, ignore: ReadonlySet<string>): boolean {
  if (fields.length === 0 || !fields.every((f) => f.startsWith('UpdateConfig.'))) return false;
  return differingPaths(revertSpec(want), have, '', ignore).length === 0;
}
