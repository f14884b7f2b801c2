// Shared helpers of the webhook tests: fixtures shaped like real deliveries, signing them
// the way each forge does, and the routes wired to recorders instead of a queue.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlotillaMetrics } from '../../../src/metrics.js';
import { packageRoot } from '../../../src/package-root.js';
import type { Handler, HttpRequest, HttpResponse } from '../../../src/server/http-types.js';
import { webhookRoutes, type WebhookRouteOptions } from '../../../src/server/webhook-routes.js';
import type { PullRequestEvent, WebhookProviderName } from '../../../src/sync/webhooks/types.js';

export const SECRET = 'whsec-test-5f1e0c2a9b';

/** The repository the fixtures name, on each forge. */
export const TRACKED: Record<WebhookProviderName, string> = {
  github: 'https://github.com/acme/fleet-config.git',
  gitlab: 'https://gitlab.example.com/acme/fleet-config.git',
  gitea: 'https://gitea.example.com/acme/fleet-config.git',
  bitbucket: 'https://bitbucket.org/acme/fleet-config.git',
  generic: 'https://git.example.com/acme/fleet-config.git',
};

export interface Fixture {
  headers: Record<string, string>;
  payload: Record<string, unknown>;
}

export function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(packageRoot(), 'test', 'fixtures', 'webhooks', `${name}.json`), 'utf8')) as Fixture;
}

/** The signature (or token) header a forge adds for `body`. */
export function signatureHeader(provider: WebhookProviderName, body: Buffer, secret = SECRET): Record<string, string> {
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  switch (provider) {
    case 'github':
      return { 'x-hub-signature-256': `sha256=${hex}` };
    case 'gitea':
      return { 'x-gitea-signature': hex };
    case 'bitbucket':
      return { 'x-hub-signature': `sha256=${hex}` };
    case 'generic':
      return { 'x-signature': `sha256=${hex}` };
    case 'gitlab':
      return { 'x-gitlab-token': secret };
  }
}

export function request(provider: WebhookProviderName, body: Buffer, headers: Record<string, string>): HttpRequest {
  return { method: 'POST', path: `/hooks/${provider}`, query: new URLSearchParams(), headers, body };
}

/** A fixture as its forge would deliver it: exact body, its headers, a valid signature. */
export function signedDelivery(provider: WebhookProviderName, f: Fixture, overrides: { headers?: Record<string, string>; secret?: string } = {}): HttpRequest {
  const body = Buffer.from(JSON.stringify(f.payload));
  return request(provider, body, { ...f.headers, ...signatureHeader(provider, body, overrides.secret), ...overrides.headers });
}

export interface Harness {
  routes: Record<string, Handler>;
  reconciles: string[];
  reviews: PullRequestEvent[];
  metrics: FlotillaMetrics;
  send(req: HttpRequest): Promise<HttpResponse & { json: Record<string, unknown> }>;
  count(provider: string, result: string): Promise<number>;
}

export function harness(options: Partial<WebhookRouteOptions> & { repoUrl: string }): Harness {
  const reconciles: string[] = [];
  const reviews: PullRequestEvent[] = [];
  const metrics = new FlotillaMetrics(false);
  const routes = webhookRoutes({
    secret: SECRET,
    branch: 'main',
    queue: { request: (reason) => reconciles.push(reason) },
    metrics,
    onPullRequest: (event) => (reviews.push(event), true),
    ...options,
  });
  return {
    routes,
    reconciles,
    reviews,
    metrics,
    async send(req) {
      const route = routes[`${req.method} ${req.path}`];
      if (!route) throw new Error(`no route ${req.method} ${req.path}`);
      const res = await route(req);
      return { ...res, json: JSON.parse(String(res.body ?? '{}')) as Record<string, unknown> };
    },
    async count(provider, result) {
      const metric = (await metrics.webhookRequests.get()).values.find((v) => v.labels.provider === provider && v.labels.result === result);
      return metric?.value ?? 0;
    },
  };
}

/** A deep copy of a fixture's payload with `change` applied. */
export function changed(f: Fixture, change: (payload: Record<string, unknown>) => void): Fixture {
  const copy = structuredClone(f);
  change(copy.payload);
  return copy;
}

/** Reads a nested object of a payload for editing in a test. */
export function obj(value: unknown, ...path: string[]): Record<string, unknown> {
  let current = value;
  for (const key of path) current = (current as Record<string, unknown>)[key];
  return current as Record<string, unknown>;
}

/** A forge's push fixture re-aimed at another repository URL and commit (integration tests, bench). */
export function pushFor(provider: WebhookProviderName, repoUrl: string, sha: string): Fixture {
  const names: Record<WebhookProviderName, string> = { github: 'github-push', gitlab: 'gitlab-push', gitea: 'gitea-push', bitbucket: 'bitbucket-repo-push', generic: 'generic-push' };
  return changed(fixture(names[provider]), (p) => {
    switch (provider) {
      case 'github':
      case 'gitea':
        obj(p, 'repository').clone_url = repoUrl;
        p.after = sha;
        break;
      case 'gitlab':
        obj(p, 'project').git_http_url = repoUrl;
        p.after = sha;
        p.checkout_sha = sha;
        break;
      case 'bitbucket':
        obj(p, 'repository', 'links', 'html').href = repoUrl;
        obj((obj(p, 'push').changes as unknown[])[0], 'new', 'target').hash = sha;
        break;
      case 'generic':
        p.repository = repoUrl;
        p.after = sha;
        break;
    }
  });
}

/** The header each forge names its delivery in. */
export const DELIVERY_HEADER: Record<WebhookProviderName, string> = { github: 'x-github-delivery', gitlab: 'x-gitlab-event-uuid', gitea: 'x-gitea-delivery', bitbucket: 'x-request-uuid', generic: 'x-delivery-id' };

/** A fixture with a fresh delivery id, so that redelivery protection does not swallow it. */
export function withDeliveryId(provider: WebhookProviderName, f: Fixture, id: string): Fixture {
  return { ...f, headers: { ...f.headers, [DELIVERY_HEADER[provider]]: id } };
}
