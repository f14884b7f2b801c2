// Throws random and mutated deliveries at every webhook route, signed and unsigned: the
// receivers must answer every one with a 2xx or 4xx, never throw, and never ask for a
// reconcile or a review unless the delivery is authentic and says what they act on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { createRouter } from '../../../src/server/routes.js';
import type { Handler, HttpRequest } from '../../../src/server/http-types.js';
import { webhookRoutes } from '../../../src/server/webhook-routes.js';
import type { WebhookProviderName } from '../../../src/sync/webhooks/types.js';
import { DELIVERY_HEADER, fixture, SECRET, signatureHeader, TRACKED, type Fixture } from './support.js';

const PROVIDERS: WebhookProviderName[] = ['github', 'gitlab', 'gitea', 'bitbucket', 'generic'];
const FIXTURES: Record<WebhookProviderName, Fixture[]> = {
  github: [fixture('github-push'), fixture('github-pull-request-opened'), fixture('github-ping')],
  gitlab: [fixture('gitlab-push'), fixture('gitlab-merge-request-open')],
  gitea: [fixture('gitea-push'), fixture('gitea-pull-request-opened')],
  bitbucket: [fixture('bitbucket-repo-push'), fixture('bitbucket-pullrequest-created')],
  generic: [fixture('generic-push')],
};
const HEADER_NAMES = ['content-type', 'x-github-event', 'x-github-delivery', 'x-hub-signature-256', 'x-hub-signature', 'x-gitlab-event', 'x-gitlab-token', 'x-gitlab-event-uuid', 'x-gitea-event', 'x-gitea-signature', 'x-gitea-delivery', 'x-forgejo-event', 'x-event-key', 'x-request-uuid', 'x-signature', 'x-delivery-id'];

/** One daemon per forge (each tracking the fixtures' repository there), with recorders for what they ask. */
function routersWithRecorders() {
  const reconciles: string[] = [];
  const reviews: number[] = [];
  // One router and de-duplication memory per forge for the whole run: state must not break them either.
  const routers = Object.fromEntries(PROVIDERS.map((provider) => [provider, createRouter({
    ready: () => true, status: () => ({}), history: () => [], requestSync: () => undefined, registry: new Registry(),
    extra: webhookRoutes({ secret: SECRET, repoUrl: TRACKED[provider], branch: 'main', queue: { request: (r) => reconciles.push(r) }, onPullRequest: (e) => (reviews.push(e.number), true) }),
  })])) as Record<WebhookProviderName, Handler>;
  return { routers, reconciles, reviews };
}

/** A JSON value put somewhere in a payload: the payload keeps its shape but lies in one place. */
function mutatePayload(payload: unknown, path: number[], value: unknown): unknown {
  if (path.length === 0 || typeof payload !== 'object' || payload === null) return value;
  const entries = Object.entries(payload as Record<string, unknown>);
  if (entries.length === 0) return value;
  const index = (path[0] ?? 0) % entries.length;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(payload) ? [...payload] : { ...(payload as Record<string, unknown>) };
  const [key, child] = entries[index] as [string, unknown];
  (copy as Record<string, unknown>)[key] = mutatePayload(child, path.slice(1), value);
  return copy;
}

const bodyArb = (provider: WebhookProviderName) =>
  fc.oneof(
    // A real payload with one value replaced somewhere.
    fc.tuple(fc.constantFrom(...FIXTURES[provider]), fc.array(fc.nat(), { maxLength: 6 }), fc.jsonValue({ maxDepth: 3 })).map(([f, path, value]) => Buffer.from(JSON.stringify(mutatePayload(f.payload, path, value)))),
    // A real payload with bytes flipped or cut off.
    fc.tuple(fc.constantFrom(...FIXTURES[provider]), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.option(fc.nat())).map(([f, flips, cut]) => {
      const bytes = Buffer.from(JSON.stringify(f.payload));
      for (const [at, byte] of flips) bytes[at % bytes.length] = byte;
      return cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
    }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
    fc.constantFrom(Buffer.from('['.repeat(50_000)), Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), Buffer.from(`{"a":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_001)}`)),
  );

const headerValueArb = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('push', 'pull_request', 'Push Hook', 'Merge Request Hook', 'System Hook', 'repo:push', 'pullrequest:created', 'application/json', 'application/x-www-form-urlencoded', '', 'sha256=', SECRET));

const deliveryArb = fc.constantFrom(...PROVIDERS).chain((provider) =>
  fc.record({
    provider: fc.constant(provider),
    fixture: fc.constantFrom(...FIXTURES[provider]),
    body: bodyArb(provider),
    sign: fc.boolean(),
    keepFixtureHeaders: fc.boolean(),
    extraHeaders: fc.dictionary(fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.toLowerCase())), headerValueArb, { maxKeys: 5 }),
    method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT'),
  }),
);

type Delivery = typeof deliveryArb extends fc.Arbitrary<infer D> ? D : never;

function authenticExamples(): Array<[Delivery]> {
  return PROVIDERS.flatMap((provider) => FIXTURES[provider].map((f): [Delivery] => [{ provider, fixture: f, body: Buffer.from(JSON.stringify(f.payload)), sign: true, keepFixtureHeaders: true, extraHeaders: {}, method: 'POST' }]));
}

test('fuzz: no webhook delivery, however mangled, gets a 5xx, throws, or acts without authentication', async () => {
  const { routers, reconciles, reviews } = routersWithRecorders();
  let delivery = 0;
  await fc.assert(
    fc.asyncProperty(deliveryArb, async (d) => {
      // A fresh delivery id each time, unless the fuzzer chose one, or every later delivery would be a duplicate.
      const fresh = { [DELIVERY_HEADER[d.provider]]: `fuzz-${delivery++}` };
      const headers: Record<string, string> = { ...(d.keepFixtureHeaders ? { ...d.fixture.headers, ...fresh } : {}), ...d.extraHeaders };
      // Signed last, over the exact bytes sent, so the interpreters see authentic garbage too.
      if (d.sign) Object.assign(headers, signatureHeader(d.provider, d.body));
      const req: HttpRequest = { method: d.method, path: `/hooks/${d.provider}`, query: new URLSearchParams(), headers, body: d.body };
      const before = { reconciles: reconciles.length, reviews: reviews.length };
      const res = await routers[d.provider](req);
      assert.ok(res.status >= 200 && res.status < 500, `status ${res.status}`);
      JSON.parse(String(res.body));
      const acted = reconciles.length > before.reconciles || reviews.length > before.reviews;
      if (!acted) return;
      // Only an authentic POST of well-formed JSON can have acted, and it says what it did.
      assert.equal(d.method, 'POST');
      assert.equal(res.status, 202);
      const answer = JSON.parse(String(res.body)) as { action?: string };
      assert.ok(answer.action === 'reconcile' || answer.action === 'review');
      const authentic = d.sign || (d.provider === 'gitlab' && headers['x-gitlab-token'] === SECRET);
      assert.ok(authentic, 'acted on an unauthenticated delivery');
      JSON.parse(d.body.toString('utf8'));
      if (answer.action === 'reconcile' && d.provider !== 'generic') assert.match(d.body.toString('utf8'), /main/);
    }),
    // Every fixture unmangled and signed goes first: random draws alone missed the review path
    // in one CI run, and the acting paths must be held to the property in every run.
    { numRuns: 2000, examples: authenticExamples() },
  );
  // The run must have reached the acting paths, or it proved nothing about them.
  assert.ok(reconciles.length > 0 && reviews.length > 0, `reconciles ${reconciles.length}, reviews ${reviews.length}`);
});

test('fuzz: unsigned deliveries never act, whatever they claim', async () => {
  const { routers, reconciles, reviews } = routersWithRecorders();
  await fc.assert(
    fc.asyncProperty(deliveryArb, async (d) => {
      const headers: Record<string, string> = { ...d.fixture.headers, ...d.extraHeaders };
      delete headers['x-gitlab-token'];
      for (const name of ['x-hub-signature-256', 'x-hub-signature', 'x-gitea-signature', 'x-signature']) if (headers[name] !== undefined) headers[name] = `sha256=${'0'.repeat(64)}`;
      const res = await routers[d.provider]({ method: 'POST', path: `/hooks/${d.provider}`, query: new URLSearchParams(), headers, body: d.body });
      assert.equal(res.status, 401);
    }),
    { numRuns: 1000 },
  );
  assert.deepEqual(reconciles, []);
  assert.deepEqual(reviews, []);
});

test('fuzz: every authentic push of a fixture still triggers after arbitrary extra headers', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...PROVIDERS), fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).map((s) => `x-fuzz-${s.toLowerCase()}`), fc.string({ maxLength: 40 }), { maxKeys: 4 }), async (provider, extra) => {
      const reconciles: string[] = [];
      const routes = webhookRoutes({ secret: SECRET, repoUrl: TRACKED[provider], branch: 'main', queue: { request: (r) => reconciles.push(r) } });
      const push = FIXTURES[provider][0] as Fixture;
      const body = Buffer.from(JSON.stringify(push.payload));
      const res = await routes[`POST /hooks/${provider}`]!({ method: 'POST', path: `/hooks/${provider}`, query: new URLSearchParams(), headers: { ...extra, ...push.headers, ...signatureHeader(provider, body) }, body });
      assert.equal(res.status, 202);
      assert.equal(reconciles.length, 1);
    }),
    { numRuns: 200 },
  );
});
