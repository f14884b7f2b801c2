// Compose profiles: a service that lists `profiles` runs only when the cluster enables one
// of them for its stack (`spec.stacks[].profiles` in cluster.yaml, `*` for all); a service
// without `profiles` always runs. As in Compose, the others are not part of the deployment.

type Raw = Record<string, unknown>;

export interface ProfileSelection {
  /** Service names that are deployed, in file order. */
  active: string[];
  /** Services left out, with the profiles any of which would enable them. */
  inactive: Map<string, string[]>;
}

export function selectByProfiles(services: Record<string, Raw>, enabled: readonly string[]): ProfileSelection {
  const all = enabled.includes('*');
  const wanted = new Set(enabled);
  const active: string[] = [];
  const inactive = new Map<string, string[]>();
  for (const [name, def] of Object.entries(services)) {
    const profiles = Array.isArray(def.profiles) ? def.profiles.map(String) : [];
    if (profiles.length === 0 || all || profiles.some((p) => wanted.has(p))) active.push(name);
    else inactive.set(name, profiles);
  }
  return { active, inactive };
}
