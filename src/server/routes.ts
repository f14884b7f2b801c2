// The daemon's HTTP surface (DESIGN.md): health, readiness, metrics, the status and history
// API and the sync trigger. Webhook receivers are mounted here too by their own module.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Handler, HttpRequest, HttpResponse } from './http-types.js';
import { json, problem } from './http-types.js';

export interface RouteDeps {
  /** Ready once the first reconcile has finished (successfully or not) and state is loaded. */
  ready(): boolean;
  status(): unknown;
  history(): unknown;
  /** GET /api/v1/endpoints and /api/v1/sd/prometheus; absent: those routes answer 404. */
  endpoints?(): unknown;
  prometheusTargets?(): unknown;
  requestSync(reason: string): void;
  registry: Registry;
  /** Bearer token for the write API; undefined means the API is open (loopback only by default). */
  apiToken?: string;
  /** The dashboard's routes (GET /, /ui/...), mounted as they are. */
  dashboard?: Record<string, Handler>;
  /** Extra routes by "METHOD /path" (webhooks). */
  extra?: Record<string, Handler>;
}

export function createRouter(deps: RouteDeps): Handler {
  const routes: Record<string, Handler> = {
    'GET /healthz': () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok\n' }),
    'GET /readyz': () => (deps.ready() ? { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ready\n' } : { status: 503, headers: { 'content-type': 'text/plain' }, body: 'not ready: first reconcile not finished\n' }),
    'GET /metrics': async () => ({ status: 200, headers: { 'content-type': deps.registry.contentType }, body: await deps.registry.metrics() }),
    'GET /api/v1/status': () => json(200, deps.status()),
    'GET /api/v1/history': () => json(200, deps.history()),
    ...(deps.endpoints ? { 'GET /api/v1/endpoints': () => json(200, { services: deps.endpoints?.() }) } : {}),
    ...(deps.prometheusTargets ? { 'GET /api/v1/sd/prometheus': () => json(200, deps.prometheusTargets?.()) } : {}),
    'POST /api/v1/sync': (req) => {
      const denied = authorize(req, deps.apiToken);
      if (denied) return denied;
      deps.requestSync('api');
      return json(202, { accepted: true, message: 'reconcile requested' });
    },
    ...deps.dashboard,
    ...deps.extra,
  };
  return async (req) => {
    const route = routes[`${req.method} ${req.path}`];
    if (route) return route(req);
    const pathKnown = Object.keys(routes).some((key) => key.split(' ')[1] === req.path);
    return pathKnown ? problem(405, `method ${req.method} not allowed on ${req.path}`) : problem(404, `no route for ${req.path}`);
  };
}

function authorize(req: HttpRequest, token: string | undefined): HttpResponse | undefined {
  if (token === undefined) return undefined;
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : '';
  if (!constantTimeEqual(given, token)) {
    return { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }, body: JSON.stringify({ error: 'missing or wrong bearer token' }) + '\n' };
  }
  return undefined;
}

/** Compares digests so neither the length nor the content of the secret leaks through timing. */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
