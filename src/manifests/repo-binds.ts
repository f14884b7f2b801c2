// Compose bind mounts whose source is a relative path (`./nginx.conf:/etc/nginx/nginx.conf:ro`,
// `./prometheus:/etc/prometheus`) name files of the config repo, not of the node. Flotilla
// delivers them as read-only configs: the file or folder at the deployed commit is copied
// into the container. Absolute host paths stay bind mounts under the cluster's policy.

export interface RelativeBind {
  source: string;
  target: string;
}

/** The written source of a relative bind mount, or undefined when the entry is anything else. */
export function relativeBindSource(entry: unknown): string | undefined {
  return relativeBind(entry)?.source;
}

export function relativeBind(entry: unknown): RelativeBind | undefined {
  if (typeof entry === 'string') {
    const parts = entry.split(':');
    if (parts.length < 2 || parts.length > 3) return undefined;
    const [source, target] = parts as [string, string];
    return isRelative(source) ? { source, target } : undefined;
  }
  const long = entry as { type?: unknown; source?: unknown; target?: unknown } | null;
  if (long?.type !== 'bind' || typeof long.source !== 'string' || typeof long.target !== 'string') return undefined;
  // In the long syntax any source that is not a host path is relative, `./` or not.
  const hostPath = long.source.startsWith('/') || long.source.startsWith('~');
  return hostPath ? undefined : { source: long.source, target: long.target };
}

/** `./x`, `../x` and a bare `.`; `~` and absolute paths are host paths (a bare name is a volume). */
function isRelative(source: string): boolean {
  return source === '.' || source === '..' || source.startsWith('./') || source.startsWith('../');
}
