// engine: swarm. Each Compose service is one Swarm service, created, updated and removed
// through a manager's Engine API; Swarm places and rolls the tasks, Flotilla decides what
// the cluster should run (Git), judges every rollout and reverts the whole cluster.
import type { ClusterSpec, DesiredState, SwarmSettings } from '../../manifests/model.js';
import type { ObservedState } from '../../docker/types.js';
import type { ExecutionResult, ServiceFailure } from '../../reconcile/execute/execution-types.js';
import type { Engine, EngineExecuteOptions, EnginePlan, EnginePlanOptions, ReviewObservation } from '../engine.js';
import { applySwarmPlan } from './apply.js';
import { planSwarm } from './diff.js';
import { SwarmManagers } from './manager-client.js';
import { observeSwarm } from './observe.js';
import { appliedSwarm, emptySwarm } from './synthetic.js';
import { isSwarmAction, swarmServiceName, type SwarmObservedState, type SwarmPlan } from './swarm-types.js';

const VERIFY_POLL_MS = 1_000;
const VERIFY_MARGIN_MS = 30_000;

export class SwarmEngine implements Engine {
  readonly kind = 'swarm' as const;
  private readonly managers: SwarmManagers;

  constructor(settings: SwarmSettings) {
    this.managers = new SwarmManagers(settings.managers);
  }

  observe(desired: DesiredState | undefined): Promise<SwarmObservedState> {
    return observeSwarm(this.managers, desired);
  }

  plan(desired: DesiredState, observed: ObservedState, options: EnginePlanOptions): SwarmPlan {
    const o = (observed as SwarmObservedState).swarm;
    const nodes = observed.nodes.map((n) => ({ name: n.name, availability: n.up ? ('up' as const) : ('held' as const), ...(n.error ? { error: n.error } : {}) }));
    return planSwarm(desired, o, options, nodes);
  }

  execute(plan: EnginePlan, desired: DesiredState, options: EngineExecuteOptions): Promise<ExecutionResult> {
    const foreign = plan.actions.find((a) => !isSwarmAction(a));
    if (foreign) throw new Error(`the swarm engine cannot run a "${foreign.type}" action: the plan was made by another engine`);
    return applySwarmPlan(this.managers, plan as SwarmPlan, desired, options);
  }

  /** The swarm is observed only through managers the tracked branch names too. */
  async observeForReview(desired: DesiredState, trusted: ClusterSpec | undefined): Promise<ReviewObservation> {
    const managers = desired.cluster.swarm?.managers ?? [];
    if (trusted?.engine === 'swarm' && JSON.stringify(trusted.swarm?.managers ?? []) === JSON.stringify(managers)) return { observed: await this.observe(desired), notes: [] };
    const why = trusted?.engine === 'swarm' ? 'its Swarm managers change in this pull request' : trusted ? 'this pull request moves the cluster onto Docker Swarm' : 'the tracked branch could not be read';
    return { observed: emptySwarm(desired), notes: [`The swarm was not contacted (${why}; new managers are not contacted before the merge), so every service is planned as new.`] };
  }

  applied(desired: DesiredState): SwarmObservedState {
    return appliedSwarm(desired);
  }

  /** Every declared service runs its replicas; tasks still starting get until start_period + monitor. */
  async verify(desired: DesiredState, observed: ObservedState, signal: AbortSignal): Promise<ServiceFailure[]> {
    const services = desired.stacks.flatMap((st) => st.services.map((s) => ({ stack: st.name, service: s, name: swarmServiceName(st.name, s.name) })));
    const budget = Math.max(0, ...services.map((s) => (s.service.healthcheck?.startPeriodMs ?? 0) + s.service.deploy.updateConfig.monitorMs)) + VERIFY_MARGIN_MS;
    const deadline = Date.now() + budget;
    let o = (observed as SwarmObservedState).swarm;
    for (;;) {
      if (!o) return [{ stack: '', service: '', node: '', reason: 'the swarm could not be observed', action: 'create' }];
      const obs = o;
      const failures = services.flatMap((s): ServiceFailure[] => {
        const live = obs.services.find((x) => x.name === s.name);
        if (!live) return [{ stack: s.stack, service: s.service.name, node: '', reason: `service ${s.name} does not exist`, action: 'create' }];
        const running = obs.tasks.filter((t) => t.serviceId === live.id && t.desiredState === 'running' && t.state === 'running').length;
        const wanted = s.service.deploy.mode === 'global' ? 1 : s.service.deploy.replicas;
        return running >= wanted ? [] : [{ stack: s.stack, service: s.service.name, node: '', reason: `${running} of ${wanted} task(s) of ${s.name} running`, action: 'create' }];
      });
      if (failures.length === 0 || Date.now() > deadline) return failures;
      await new Promise((r) => setTimeout(r, VERIFY_POLL_MS));
      signal.throwIfAborted();
      o = (await observeSwarm(this.managers, desired, signal)).swarm;
    }
  }
}
