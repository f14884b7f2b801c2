// The engine a commit's cluster.yaml asks for (`spec.engine`, default hosts), built once at
// start-up and kept: each engine holds connections and bookkeeping (when a node went down)
// that must survive from one reconcile to the next. A commit that changes the managers of
// a swarm gets a new Swarm engine; one that switches engines simply uses the other one.
import type { ClusterSpec, DesiredState, SwarmSettings } from '../manifests/model.js';
import type { ObservedState } from '../docker/types.js';
import type { ExecutionResult, ServiceFailure } from '../reconcile/execute/execution-types.js';
import type { Engine, EngineExecuteOptions, EngineKind, EnginePlan, EnginePlanOptions, ReviewObservation } from './engine.js';

export type SwarmEngineFactory = (settings: SwarmSettings) => Engine;

export class EngineSelector implements Engine {
  private swarm: { key: string; engine: Engine } | undefined;
  private last: Engine;

  constructor(
    private readonly hosts: Engine,
    private readonly makeSwarm: SwarmEngineFactory,
  ) {
    this.last = hosts;
  }

  /** The engine of the cluster last observed, planned or changed. */
  get kind(): EngineKind {
    return this.last.kind;
  }

  observe(desired: DesiredState | undefined): Promise<ObservedState> {
    return this.engineFor(desired).observe(desired);
  }

  plan(desired: DesiredState, observed: ObservedState, options: EnginePlanOptions): EnginePlan {
    return this.engineFor(desired).plan(desired, observed, options);
  }

  execute(plan: EnginePlan, desired: DesiredState, options: EngineExecuteOptions): Promise<ExecutionResult> {
    return this.engineFor(desired).execute(plan, desired, options);
  }

  verify(desired: DesiredState, observed: ObservedState, signal: AbortSignal): Promise<ServiceFailure[]> {
    return this.engineFor(desired).verify(desired, observed, signal);
  }

  observeForReview(desired: DesiredState, trusted: ClusterSpec | undefined): Promise<ReviewObservation> {
    return this.engineFor(desired).observeForReview(desired, trusted);
  }

  applied(desired: DesiredState): ObservedState {
    return this.engineFor(desired).applied(desired);
  }

  private engineFor(desired: DesiredState | undefined): Engine {
    if (!desired || desired.cluster.engine !== 'swarm') return (this.last = this.hosts);
    const settings = desired.cluster.swarm ?? { managers: [] };
    const key = JSON.stringify(settings.managers);
    if (this.swarm?.key !== key) this.swarm = { key, engine: this.makeSwarm(settings) };
    return (this.last = this.swarm.engine);
  }
}
