// A schema-valid Compose file becomes a StackSpec: networks and volumes named per stack,
// services normalized, and the references between them checked (networks, volumes,
// depends_on targets and cycles).
import type { NetworkSpec, ServiceSpec, StackSpec, VolumeSpec } from './model.js';
import { listOrMapToRecord } from './compose-values.js';
import { parseMount } from './mounts.js';
import { checkReservedLabels, normalizeService, type ServiceContext } from './normalize-service.js';
import { closest } from './suggest.js';
import { declareFiles } from './declared-files.js';
import type { JsonPath } from './yaml-source.js';
import { selectByProfiles } from './profiles.js';
import { checkAddresses, parseIpam } from './network-keys.js';
import { applyDependencyConditions } from './dependency-conditions.js';

type Raw = Record<string, unknown>;

export function normalizeStack(file: string, raw: Raw, ctx: ServiceContext): StackSpec {
  const report = (path: JsonPath, message: string, which: 'key' | 'value' = 'value') => {
    ctx.problems.push(ctx.source.problem(path, message, which));
  };
  if (raw.name !== undefined && raw.name !== ctx.stack) {
    report(['name'], `the Compose name "${String(raw.name)}" differs from the stack name "${ctx.stack}" in cluster.yaml; containers are named after the stack, so remove \`name\` or make the two equal`);
  }

  const networks: NetworkSpec[] = Object.entries((raw.networks as Record<string, Raw | null> | undefined) ?? {}).map(([name, def]) => {
    const ipam = parseIpam(name, def?.ipam, report);
    return {
      name,
      dockerName: def?.name !== undefined ? String(def.name) : `${ctx.stack}_${name}`,
      ...(def?.driver !== undefined ? { driver: String(def.driver) } : {}),
      internal: (def?.internal as boolean | undefined) ?? false,
      external: (def?.external as boolean | undefined) ?? false,
      labels: strings(listOrMapToRecord(def?.labels)),
      ...(ipam ? { ipam } : {}),
    };
  });
  const volumes: VolumeSpec[] = Object.entries((raw.volumes as Record<string, Raw | null> | undefined) ?? {}).map(([name, def]) => ({
    name,
    dockerName: def?.name !== undefined ? String(def.name) : `${ctx.stack}_${name}`,
    ...(def?.driver !== undefined ? { driver: String(def.driver) } : {}),
    driverOpts: strings(listOrMapToRecord(def?.driver_opts)),
    external: (def?.external as boolean | undefined) ?? false,
    labels: strings(listOrMapToRecord(def?.labels)),
  }));

  for (const key of ['networks', 'volumes'] as const) {
    for (const [name, def] of Object.entries((raw[key] as Record<string, Raw | null> | undefined) ?? {})) checkReservedLabels(def?.labels, [key, name, 'labels'], report);
  }
  const serviceCtx = ctx.fileSources ? { ...ctx, files: { ...ctx.fileSources, declared: declareFiles(raw, ctx.fileSources) } } : ctx;
  const rawServices = raw.services as Record<string, Raw>;
  const { active, inactive } = selectByProfiles(rawServices, ctx.profiles ?? []);
  const services = active.map((name) => normalizeService(name, rawServices[name] as Raw, serviceCtx));
  // Conditions, one-shot jobs, and `required: false` (Compose 2.20+): an optional dependency that is not deployed is dropped.
  const warn = (path: JsonPath, message: string, which: 'key' | 'value' = 'value') => ctx.warnings?.push(ctx.source.problem(path, message, which));
  applyDependencyConditions(services, rawServices, inactive, report, warn);
  const usesDefault = services.some((s) => s.networks.includes('default'));
  if (usesDefault && !networks.some((n) => n.name === 'default')) {
    networks.push({ name: 'default', dockerName: `${ctx.stack}_default`, internal: false, external: false, labels: {} });
  }
  checkReferences(services, networks, volumes, raw, report, inactive, ctx.stack);
  checkAddresses(services, networks, report);
  return { name: ctx.stack, file, services, networks, volumes };
}

function checkReferences(
  services: ServiceSpec[],
  networks: NetworkSpec[],
  volumes: VolumeSpec[],
  raw: Raw,
  report: (path: Array<string | number>, message: string, which?: 'key' | 'value') => void,
  inactive: ReadonlyMap<string, string[]>,
  stackName: string,
): void {
  const networkNames = new Set(networks.map((n) => n.name));
  const volumeNames = new Set(volumes.map((v) => v.name));
  const serviceNames = new Set(services.map((s) => s.name));
  for (const service of services) {
    const rawService = (raw.services as Record<string, Raw>)[service.name] as Raw;
    const listed = Array.isArray(rawService.networks);
    service.networks.forEach((net, i) => {
      if (!networkNames.has(net)) {
        report(['services', service.name, 'networks', listed ? i : net], `network "${net}" is not declared under the top-level \`networks:\`${didYouMean(net, networkNames)}`, listed ? 'value' : 'key');
      }
    });
    ((rawService.volumes as unknown[] | undefined) ?? []).forEach((entry, i) => {
      const parsed = parseMount(entry);
      const mount = parsed.ok ? parsed.mount : undefined;
      if (mount?.type === 'volume' && mount.source && !volumeNames.has(mount.source)) {
        report(['services', service.name, 'volumes', i], `named volume "${mount.source}" is not declared under the top-level \`volumes:\`${didYouMean(mount.source, volumeNames)}`);
      }
    });
    const dependsListed = Array.isArray(rawService.depends_on);
    service.dependsOn.forEach((dep, i) => {
      const path = ['services', service.name, 'depends_on', dependsListed ? i : dep];
      if (dep === service.name) report(path, `service "${service.name}" depends on itself`, dependsListed ? 'value' : 'key');
      else if (inactive.has(dep)) {
        const profiles = (inactive.get(dep) as string[]).join(', ');
        report(path, `service "${service.name}" depends on "${dep}", which runs only with profile(s) ${profiles}, none of which cluster.yaml enables for stack ${stackName}; add one to spec.stacks[].profiles, or give "${service.name}" the same profiles`, dependsListed ? 'value' : 'key');
      } else if (!serviceNames.has(dep)) report(path, `depends_on names "${dep}", which is not a service of this stack${didYouMean(dep, serviceNames)}`, dependsListed ? 'value' : 'key');
    });
  }
  const cycle = findCycle(services);
  if (cycle) report(['services', cycle[0] as string, 'depends_on'], `depends_on forms a cycle: ${cycle.join(' -> ')}`, 'key');
}

/** Returns one dependency cycle as a list of service names (first repeated at the end), if any. */
export function findCycle(services: readonly ServiceSpec[]): string[] | undefined {
  const deps = new Map(services.map((s) => [s.name, s.dependsOn.filter((d) => d !== s.name)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of deps.get(name) ?? []) {
      if (!deps.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of deps.keys()) {
    const found = visit(name);
    if (found) return found;
  }
  return undefined;
}

function didYouMean(name: string, known: ReadonlySet<string>): string {
  const suggestion = closest(name, [...known]);
  if (suggestion) return `; did you mean "${suggestion}"?`;
  return known.size > 0 ? ` (declared: ${[...known].join(', ')})` : '';
}

function strings(record: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v ?? '']));
}
