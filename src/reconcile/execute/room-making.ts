// The removals the planner moved ahead to free a host port or a container name for a replica
// (action-order.ts), run just in time and once: by whichever service needs one done first.
// Services roll in parallel, so a removal in its own service's turn could come after the
// replica that needs the room; run before everything, it would also run for services that
// are then skipped (a failed dependency, a halt), and a replaced replica could lose its
// container with no successor. Here a removal runs only when a service that passed its
// dependency and halt checks is about to start replicas that need it:
//  - the service the room is made for (the taker), before its new and replaced replicas;
//  - the removal's own service, before its own replacement when it is the old side of a
//    replace, or in its turn for removals when it is a scale-down or prune.
// Each stops with its own service's grace period.
import type { RemoveAction } from '../plan/actions.js';
import type { ServiceFailure } from './execution-types.js';

export class RoomMaking {
  private readonly runs = new Map<RemoveAction, Promise<ServiceFailure | undefined>>();

  constructor(
    private readonly removals: readonly RemoveAction[],
    private readonly run: (removal: RemoveAction) => Promise<ServiceFailure | undefined>,
  ) {}

  /** What must be gone before the service's replicas start: room made for it, and the old sides of its own replaces. */
  beforeStart(stack: string, service: string): RemoveAction[] {
    return this.removals.filter((a) => (a.makesRoomFor?.stack === stack && a.makesRoomFor.service === service) || (a.kind === 'make-room' && a.stack === stack && a.service === service));
  }

  /** The service's own scale-down or prune removals that were moved ahead for another service. */
  ownRemovals(stack: string, service: string): RemoveAction[] {
    return this.removals.filter((a) => a.kind !== 'make-room' && a.stack === stack && a.service === service);
  }

  /** Runs each removal not yet run, waits for all of them, and gives the failures. */
  async ensure(list: readonly RemoveAction[]): Promise<ServiceFailure[]> {
    const outcomes = await Promise.all(list.map((a) => {
      let pending = this.runs.get(a);
      if (!pending) {
        pending = this.run(a);
        this.runs.set(a, pending);
      }
      return pending;
    }));
    return outcomes.filter((f): f is ServiceFailure => f !== undefined);
  }

  /** The removals that were run (or are running). */
  get started(): RemoveAction[] {
    return [...this.runs.keys()];
  }
}
