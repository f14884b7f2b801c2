// The labels that mark a container, network or volume as Flotilla's. They are a contract
// (DESIGN.md): drift detection, recovery of the last good commit and users' own tooling
// read them.
export const LABEL = {
  managed: 'flotilla.managed',
  cluster: 'flotilla.cluster',
  stack: 'flotilla.stack',
  service: 'flotilla.service',
  slot: 'flotilla.slot',
  specHash: 'flotilla.spec-hash',
  commit: 'flotilla.commit',
  /** Digests of the configs and secrets delivered into the container (never their content). */
  files: 'flotilla.files',
  /** Keyed digests of environment variables whose values come from encrypted files (never the values). */
  sealedEnv: 'flotilla.sealed-env',
  /** Compose `platform`, sent on pull and create (a query parameter, not part of the body), so it is in the spec hash here. */
  platform: 'flotilla.platform',
} as const;

/** A service's `container_name` (valid with one replica only) replaces the generated name. */
export function containerName(stack: string, service: string, slot: string, fixedName?: string): string {
  return fixedName ?? `${stack}-${service}-${slot}`;
}

export function isManagedBy(labels: Record<string, string>, cluster: string): boolean {
  return labels[LABEL.managed] === 'true' && labels[LABEL.cluster] === cluster;
}
