// Which registry an image reference is pulled from, as Docker decides it, and the one name
// each registry goes by in Flotilla (spec.registries, metrics, messages). Docker Hub has
// several names (no host at all, docker.io, index.docker.io, registry-1.docker.io) and
// keeps its credentials in config.json under the legacy key https://index.docker.io/v1/.

/** The name Flotilla gives Docker Hub, whatever alias an image or a config file uses. */
export const DOCKER_HUB = 'docker.io';
/** Where `docker login` stores Docker Hub's credentials in config.json, and what a credential helper is asked for. */
export const DOCKER_HUB_LEGACY_KEY = 'https://index.docker.io/v1/';

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * The registry host of an image reference. As in Docker's reference grammar, the part
 * before the first "/" is a host only when it holds a "." or a ":" or is "localhost";
 * otherwise (`nginx`, `team/app`) the image comes from Docker Hub.
 */
export function registryHostOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = image.slice(0, slash);
  if (!first.includes('.') && !first.includes(':') && first !== 'localhost') return DOCKER_HUB;
  return normalizeRegistryHost(first);
}

/**
 * A registry as written in cluster.yaml or a config.json key (`https://ghcr.io`,
 * `registry.example.com:5000/v2/`, `https://index.docker.io/v1/`) reduced to its host[:port],
 * lowercased, Docker Hub's aliases to `docker.io`.
 */
export function normalizeRegistryHost(written: string): string {
  const withoutScheme = written.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = (withoutScheme.split('/')[0] ?? '').toLowerCase();
  return HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

/** The server address Docker and credential helpers know a registry by: the legacy key for Docker Hub, else the host. */
export function serverAddressOf(host: string): string {
  return host === DOCKER_HUB ? DOCKER_HUB_LEGACY_KEY : host;
}
