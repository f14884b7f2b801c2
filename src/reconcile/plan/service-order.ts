// The order in which services are converged: stacks in the order the cluster lists them,
// and inside a stack every service after the services it `depends_on` (ties keep the order
// of the Compose file, so the plan reads like the files). Validation rejects cycles; should
// one get through, the remaining services keep their file order rather than vanish.
import type { ServiceSpec, StackSpec } from '../../manifests/model.js';

export function applyOrder(stacks: readonly StackSpec[]): Array<{ stack: StackSpec; service: ServiceSpec }> {
  const out: Array<{ stack: StackSpec; service: ServiceSpec }> = [];
  for (const stack of stacks) for (const service of dependencyOrder(stack.services)) out.push({ stack, service });
  return out;
}

export function dependencyOrder(services: readonly ServiceSpec[]): ServiceSpec[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const done = new Set<string>();
  const out: ServiceSpec[] = [];
  let progressed = true;
  // Repeated passes in file order: O(n^2) in the worst case per stack, which is fine for
  // the tens of services a stack has, and keeps ties in file order without a priority queue.
  while (out.length < services.length && progressed) {
    progressed = false;
    for (const s of services) {
      if (done.has(s.name)) continue;
      if (s.dependsOn.every((d) => d === s.name || done.has(d) || !byName.has(d))) {
        done.add(s.name);
        out.push(s);
        progressed = true;
      }
    }
  }
  for (const s of services) if (!done.has(s.name)) out.push(s);
  return out;
}
