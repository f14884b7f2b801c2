// Is this delivery about the repository the daemon tracks? Forges name a repository many
// ways (https clone URL, ssh URL, web URL, `owner/name`), with or without `.git`, in any
// case, and the tracked URL may carry credentials. Everything is reduced to host + path.
import type { RepoCandidates } from './types.js';

interface RepoKey {
  /** Lower-case host without port; undefined for a bare `owner/name`. */
  host: string | undefined;
  /** Lower-case path without leading/trailing slashes and `.git`, e.g. `acme/fleet-config`. */
  path: string;
}

/** Host and path of a clone URL, scp-like ssh address (`git@host:owner/repo.git`) or `owner/name`. */
export function repoKey(text: string): RepoKey | undefined {
  const value = text.trim();
  if (value === '' || value.length > 2048) return undefined;
  // A scheme (https://, ssh://, git+ssh://): let the URL parser drop credentials and port.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return undefined;
    }
    if (url.protocol === 'file:') return { host: undefined, path: cleanPath(url.pathname) };
    return url.hostname ? { host: url.hostname.toLowerCase(), path: cleanPath(url.pathname) } : undefined;
  }
  // scp-like: [user@]host:path, where the host part has no slash.
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(value);
  if (scp?.[1] && scp[2]) return { host: scp[1].toLowerCase(), path: cleanPath(scp[2]) };
  return { host: undefined, path: cleanPath(value) };
}

function cleanPath(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // keep it as sent
  }
  return decoded.replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '').replace(/\/+$/, '').toLowerCase();
}

/**
 * Matches payloads against the tracked repository. A tracked URL matches a payload URL on
 * host and path, and a payload full name on path. A tracked local directory (a mirror kept
 * up to date by something else) has no host to compare: it matches on the repository name.
 */
export class RepoMatcher {
  private readonly tracked: RepoKey | undefined;
  private readonly local: boolean;

  constructor(trackedRepo: string) {
    this.local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(trackedRepo.trim()) || /^file:/i.test(trackedRepo.trim());
    this.tracked = repoKey(trackedRepo);
  }

  matches(candidates: RepoCandidates): boolean {
    const tracked = this.tracked;
    if (!tracked || tracked.path === '') return false;
    const keys = [...candidates.urls.map(repoKey), ...candidates.fullNames.map((n) => repoKey(n))].filter((k): k is RepoKey => k !== undefined && k.path !== '');
    if (this.local) {
      const name = lastSegment(tracked.path);
      return keys.some((k) => lastSegment(k.path) === name);
    }
    return keys.some((k) => k.path === tracked.path && (k.host === undefined || k.host === tracked.host));
  }
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
