// The long form of `depends_on` (`db: {condition: service_healthy, required: false}`):
// what a dependency must be before its dependents' replicas are created or started, and
// which services are one-shot jobs (`service_completed_successfully` onto them), whose
// containers run to exit 0 and are never restarted. The waiting itself is the executor's
// (execute/dependency-wait.ts); this only reads and checks the Compose file.
import type { DependencyCondition, DependencyConditionName, ServiceSpec } from './model.js';
import type { JsonPath, YamlSource } from './yaml-source.js';
import type { ManifestProblem } from './problems.js';

type Raw = Record<string, unknown>;
type Report = (path: JsonPath, message: string, which?: 'key' | 'value') => void;

/**
 * Sets `dependencyConditions` and `runsOnce`, drops `required: false` dependencies that are
 * not deployed (left out by profiles, or not in the stack at all: a warning), and refuses a
 * restart policy that would run a one-shot job again after it completed.
 */
export function applyDependencyConditions(services: ServiceSpec[], rawServices: Record<string, Raw>, inactive: ReadonlyMap<string, string[]>, report: Report, warn: Report): void {
  const byName = new Map(services.map((s) => [s.name, s]));
  const jobOf = new Map<string, string>();
  for (const service of services) {
    const deps = rawServices[service.name]?.depends_on;
    if (!deps || Array.isArray(deps) || typeof deps !== 'object') continue;
    const conditions: Record<string, DependencyCondition> = {};
    for (const [dep, raw] of Object.entries(deps as Record<string, Raw | null>)) {
      const required = raw?.required !== false;
      if (!required && !byName.has(dep)) {
        service.dependsOn = service.dependsOn.filter((d) => d !== dep);
        // Left out by profiles is what `required: false` is for; a name in no service at all is likely a typo.
        if (!inactive.has(dep)) warn(['services', service.name, 'depends_on', dep], `depends_on names "${dep}", which is not a service of this stack; skipped because of \`required: false\``, 'key');
        continue;
      }
      const condition = (raw?.condition as DependencyConditionName | undefined) ?? 'service_started';
      conditions[dep] = { condition, required };
      if (condition === 'service_completed_successfully' && byName.has(dep) && !jobOf.has(dep)) jobOf.set(dep, service.name);
    }
    if (Object.keys(conditions).length > 0) service.dependencyConditions = conditions;
  }
  for (const [job, dependent] of jobOf) markOneShot(byName.get(job) as ServiceSpec, rawServices[job] as Raw, dependent, report);
}

/** A job's container must stay exited once it exits 0: Docker must not restart it. */
function markOneShot(job: ServiceSpec, raw: Raw, dependent: string, report: Report): void {
  job.runsOnce = true;
  const why = `"${job.name}" runs once to completion ("${dependent}" depends on it with condition: service_completed_successfully)`;
  const restart = raw.restart as string | undefined;
  if (restart === undefined) job.restart = 'no';
  else if (restart !== 'no') report(['services', job.name, 'restart'], `restart: ${restart} would run ${why} again after it exits; remove \`restart\` or write restart: "no"`);
  const policy = (raw.deploy as Raw | undefined)?.restart_policy as Raw | undefined;
  if (policy !== undefined && (policy.condition ?? 'any') !== 'none') {
    report(['services', job.name, 'deploy', 'restart_policy'], `deploy.restart_policy condition ${String(policy.condition ?? 'any')} would run ${why} again after it exits; remove it or write condition: none`, 'key');
  }
}

/**
 * Swarm has no depends_on: `docker stack deploy` ignores it. Flotilla still rolls a stack's
 * services in depends_on order on a swarm, but does not wait on a condition there.
 */
export function swarmDependencyWarnings(source: YamlSource, warnings: ManifestProblem[]): void {
  const services = (source.value as { services?: Record<string, Raw | null> } | null)?.services ?? {};
  for (const [name, service] of Object.entries(services)) {
    const deps = service?.depends_on;
    if (!deps || Array.isArray(deps) || typeof deps !== 'object') continue;
    for (const [dep, def] of Object.entries(deps as Record<string, Raw | null>)) {
      const condition = def?.condition;
      if (condition === undefined || condition === 'service_started') continue;
      warnings.push(source.problem(['services', name, 'depends_on', dep, 'condition'], `condition: ${String(condition)} is not waited for with engine: swarm (Swarm has no depends_on); "${name}" is rolled after "${dep}", but may start before "${dep}" is ${condition === 'service_healthy' ? 'healthy' : 'done'}`, 'value'));
    }
  }
}
