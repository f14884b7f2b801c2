// The dashboard's routes in-process: the page, its script and style under a strict
// Content-Security-Policy, the token prompt when an API token is set, and the cookie the
// token is exchanged for (HttpOnly, SameSite=Strict), accepted by /ui/data in its place.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { packageRoot } from '../../../src/package-root.js';
import { CONTENT_SECURITY_POLICY, dashboardRoutes } from '../../../src/server/dashboard/dashboard-routes.js';
import type { HttpRequest, HttpResponse } from '../../../src/server/http-types.js';
import { createRouter } from '../../../src/server/routes.js';

const TOKEN = 's3cret-token-value';
const STATUS = { cluster: 'prod', phase: 'idle', source: 'https://github.com/acme/fleet.git', branch: 'main', quarantined: [], nodes: [], conflicts: [], services: [] };

function router(apiToken?: string) {
  const deps = { status: () => STATUS, history: () => [], ...(apiToken ? { apiToken } : {}) };
  return createRouter({ ready: () => true, status: deps.status, history: deps.history, requestSync: () => undefined, registry: new Registry(), dashboard: dashboardRoutes(deps), ...(apiToken ? { apiToken } : {}) });
}

const get = (path: string, headers: Record<string, string> = {}): HttpRequest => ({ method: 'GET', path, query: new URLSearchParams(), headers, body: Buffer.alloc(0) });
const text = (res: HttpResponse): string => String(res.body ?? '');

test('the page, its script and style are served under a CSP that allows only their own script', async () => {
  const r = router();
  const res = await r(get('/'));
  assert.equal(res.status, 200);
  assert.equal(res.headers?.['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
  assert.match(text(res), /<script src="\/ui\/app\.js" defer><\/script>/);
  assert.equal((await r(get('/ui/app.js'))).headers?.['content-type'], 'text/javascript; charset=utf-8');
  assert.equal((await r(get('/ui/app.css'))).status, 200);
  const data = await r(get('/ui/data'));
  assert.deepEqual(JSON.parse(text(data)).status, STATUS);
});

test('the page has no inline script or handler, and its script never writes markup from data', () => {
  const html = readFileSync(join(packageRoot(), 'ui', 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script has a src');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  const js = readFileSync(join(packageRoot(), 'ui', 'app.js'), 'utf8');
  assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
});

test('with an API token the page asks for it, a wrong one is refused, the right one gives an HttpOnly SameSite=Strict cookie', async () => {
  const r = router(TOKEN);
  const anonymous = await r(get('/'));
  assert.equal(anonymous.status, 401);
  assert.match(text(anonymous), /<form class="login" method="post" action="\/ui\/login">/);
  assert.equal((await r(get('/ui/data'))).status, 401);
  const login = (token: string) => r({ method: 'POST', path: '/ui/login', query: new URLSearchParams(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(`token=${encodeURIComponent(token)}`) });
  const wrong = await login('guess');
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers?.['set-cookie'], undefined);
  const right = await login(TOKEN);
  assert.equal(right.status, 303);
  const cookie = right.headers?.['set-cookie'] ?? '';
  assert.match(cookie, /^flotilla_session=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict/);
  assert.doesNotMatch(cookie, new RegExp(TOKEN), 'the cookie is not the token');
  const session = cookie.split(';')[0] as string;
  assert.equal((await r(get('/', { cookie: session }))).status, 200);
  assert.equal((await r(get('/ui/data', { cookie: `other=1; ${session}` }))).status, 200);
  assert.equal((await r(get('/ui/data', { authorization: `Bearer ${TOKEN}` }))).status, 200);
  assert.equal((await r(get('/ui/data', { cookie: 'flotilla_session=' + '0'.repeat(64) }))).status, 401);
});
