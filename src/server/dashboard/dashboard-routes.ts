// The read-only dashboard (GET / and /ui/...): one static page, one script and one style
// sheet from the package's ui/ folder, and /ui/data, the JSON they poll. Nothing is rendered
// on the server from Git or Docker; the script puts values into the page as text. Behind the
// API token when one is configured: the page then asks for it once (POST /ui/login).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../package-root.js';
import type { Handler, HttpRequest, HttpResponse } from '../http-types.js';
import { json } from '../http-types.js';
import { constantTimeEqual } from '../routes.js';
import { sessionCookie, signedIn } from './session.js';

export interface DashboardDeps {
  status(): unknown;
  history(): unknown;
  apiToken?: string;
}

/** No inline script or style, nothing from elsewhere, not framed: the page runs only ui/app.js. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const ASSETS: Record<string, { file: string; type: string }> = {
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const LOGIN_PAGE = (message: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flotilla: sign in</title><link rel="stylesheet" href="/ui/app.css"></head>
<body><form class="login" method="post" action="/ui/login">
<h1>Flotilla</h1><p>This dashboard needs the daemon's API token (the file given to <code>--api-token-file</code>).</p>
<label for="token">API token</label><input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>${message ? `<p class="bad" role="alert">${message}</p>` : ''}
</form></body></html>
`;

function page(status: number, body: string, extra: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...extra }, body };
}

export function dashboardRoutes(deps: DashboardDeps): Record<string, Handler> {
  // Read once: the files ship with the package and do not change while it runs.
  const dir = join(packageRoot(), 'ui');
  const index = readFileSync(join(dir, 'index.html'), 'utf8');
  const assets = Object.fromEntries(Object.entries(ASSETS).map(([path, a]) => [path, { type: a.type, body: readFileSync(join(dir, a.file)) }]));
  const routes: Record<string, Handler> = {
    'GET /': (req) => (signedIn(req, deps.apiToken) ? page(200, index) : page(401, LOGIN_PAGE(''))),
    'GET /ui/data': (req) => {
      if (!signedIn(req, deps.apiToken)) return { ...json(401, { error: 'sign in at / with the API token' }), headers: { 'content-type': 'application/json', ...SECURITY_HEADERS } };
      const res = json(200, { status: deps.status(), history: deps.history() });
      return { ...res, headers: { ...res.headers, ...SECURITY_HEADERS } };
    },
    // Browsers ask for it on every page; a 404 would be noise in their consoles.
    'GET /favicon.ico': () => ({ status: 204, headers: { 'cache-control': 'max-age=86400' } }),
    'POST /ui/login': (req: HttpRequest) => {
      if (deps.apiToken === undefined) return { status: 303, headers: { location: '/', ...SECURITY_HEADERS } };
      const token = new URLSearchParams(req.body.toString('utf8')).get('token') ?? '';
      if (!constantTimeEqual(token.trim(), deps.apiToken)) return page(401, LOGIN_PAGE('That is not the API token.'));
      return { status: 303, headers: { location: '/', 'set-cookie': sessionCookie(deps.apiToken), ...SECURITY_HEADERS } };
    },
  };
  for (const [path, asset] of Object.entries(assets)) {
    routes[`GET ${path}`] = () => ({ status: 200, headers: { 'content-type': asset.type, ...SECURITY_HEADERS, 'cache-control': 'no-cache' }, body: asset.body });
  }
  return routes;
}
