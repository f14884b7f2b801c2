// Names that must be unique across the cluster, not only within one stack. Containers
// are named <stack>-<service>-<slot> and networks and volumes <stack>_<name>, so stack
// "shop-api" with service "web" and stack "shop" with service "api-web" would both own
// container shop-api-web-1, and two stacks would fight over it on every reconcile.
import type { StackSpec } from './model.js';
import type { ManifestProblem } from './problems.js';
import type { YamlSource } from './yaml-source.js';

export interface LoadedStack {
  stack: StackSpec;
  source: YamlSource;
}

export function checkAcrossStacks(loaded: readonly LoadedStack[], problems: ManifestProblem[]): void {
  const seenStacks = new Set<string>();
  const containers = new Map<string, string>();
  const resources = new Map<string, string>();
  const fixedNames = new Map<string, string>();
  for (const { stack, source } of loaded) {
    // A duplicate stack name is reported on its own; its services would all "collide" here.
    if (seenStacks.has(stack.name)) continue;
    seenStacks.add(stack.name);
    for (const service of stack.services) {
      const prefix = `${stack.name}-${service.name}`;
      const owner = claim(containers, prefix, `${stack.name}/${service.name}`);
      if (owner) {
        problems.push(source.problem(['services', service.name], `containers of ${stack.name}/${service.name} would be named ${prefix}-<slot>, exactly like those of ${owner}; rename this service or one of the stacks`, 'key'));
      }
      if (service.containerName !== undefined) {
        const holder = claim(fixedNames, service.containerName, `${stack.name}/${service.name}`);
        if (holder) problems.push(source.problem(['services', service.name, 'container_name'], `container_name ${service.containerName} is already the container_name of ${holder}; Docker allows one container per name on a node, so choose another`));
      }
    }
    const owned = [
      ...stack.networks.filter((n) => !n.external).map((n) => ({ kind: 'network', key: 'networks', name: n.name, dockerName: n.dockerName })),
      ...stack.volumes.filter((v) => !v.external).map((v) => ({ kind: 'volume', key: 'volumes', name: v.name, dockerName: v.dockerName })),
    ];
    for (const resource of owned) {
      const owner = claim(resources, `${resource.kind}:${resource.dockerName}`, `${stack.name}/${resource.name}`);
      if (owner) {
        problems.push(source.problem([resource.key, resource.name], `${resource.kind} ${stack.name}/${resource.name} would be the Docker ${resource.kind} "${resource.dockerName}", which ${owner} already creates; give it another name, or mark one of them external: true to share it`, 'key'));
      }
    }
  }
}

/** Records `owner` for `key`; returns the earlier owner when there was one. */
function claim(map: Map<string, string>, key: string, owner: string): string | undefined {
  const earlier = map.get(key);
  if (earlier === undefined) map.set(key, owner);
  return earlier;
}
