// The service-level `x-flotilla` extension: settings for Flotilla itself that Compose and
// Swarm ignore, so the same file still runs with `docker compose up`. Today one key:
// `metrics-port`, the container port that Prometheus should scrape through
// `GET /api/v1/sd/prometheus`. It must be published, or nothing outside the node reaches it.
import type { ServiceSpec } from './model.js';
import type { JsonPath } from './yaml-source.js';

type Raw = Record<string, unknown>;

export function applyFlotillaExtension(spec: ServiceSpec, raw: Raw, at: (...rest: Array<string | number>) => JsonPath, report: (path: JsonPath, message: string) => void): void {
  const ext = raw['x-flotilla'];
  if (ext === undefined) return;
  if (ext === null || typeof ext !== 'object' || Array.isArray(ext)) {
    report(at('x-flotilla'), 'x-flotilla is a map of Flotilla settings, such as `metrics-port: 9100`');
    return;
  }
  for (const [key, value] of Object.entries(ext as Raw)) {
    if (key !== 'metrics-port') {
      report(at('x-flotilla', key), `unknown key \`${key}\` in x-flotilla: the supported key is metrics-port`);
      continue;
    }
    const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      report(at('x-flotilla', key), `metrics-port ${JSON.stringify(value)} is not a container port (1-65535)`);
      continue;
    }
    if (!spec.ports.some((p) => p.target === port && p.protocol === 'tcp')) {
      report(at('x-flotilla', key), `metrics-port ${port} is not published by this service, so Prometheus could not reach it; add it to \`ports\` (e.g. "${port}" for a host port Docker picks)`);
      continue;
    }
    spec.metricsPort = port;
  }
}
