import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebhookProviderName } from '../../../src/sync/webhooks/types.js';
import { fixture, harness, request, signatureHeader, signedDelivery, TRACKED, type Fixture } from './support.js';

const PUSHES: Array<[WebhookProviderName, Fixture]> = [
  ['github', fixture('github-push')],
  ['gitlab', fixture('gitlab-push')],
  ['gitea', fixture('gitea-push')],
  ['bitbucket', fixture('bitbucket-repo-push')],
  ['generic', fixture('generic-push')],
];

for (const [provider, push] of PUSHES) {
  test(`${provider}: a missing or wrong signature is 401, and nothing is enqueued or remembered`, async () => {
    const h = harness({ repoUrl: TRACKED[provider] });
    const good = signedDelivery(provider, push);
    const signatureKeys = Object.keys(signatureHeader(provider, good.body));
    const unsigned = { ...good, headers: Object.fromEntries(Object.entries(good.headers).filter(([k]) => !signatureKeys.includes(k))) };
    const wrongSecret = signedDelivery(provider, push, { secret: 'guessed-secret' });
    // The right signature of a different body: a tampered payload.
    const tampered = { ...good, body: Buffer.concat([good.body, Buffer.from(' ')]) };
    for (const req of [unsigned, wrongSecret]) {
      const res = await h.send(req);
      assert.equal(res.status, 401);
      assert.deepEqual(res.json, { error: 'missing or invalid webhook signature' });
    }
    // GitLab's token does not cover the body; every other forge's signature does.
    if (provider !== 'gitlab') assert.equal((await h.send(tampered)).status, 401);
    assert.deepEqual(h.reconciles, []);
    assert.equal(await h.count(provider, 'unauthorized'), provider === 'gitlab' ? 2 : 3);
    // A forged delivery id must not shadow the real delivery that comes later.
    const real = await h.send(good);
    assert.equal(real.status, 202);
    assert.notEqual(real.json.ignored, 'duplicate delivery');
  });

  test(`${provider}: malformed JSON, a non-object payload or a wrong content type is 400 once authenticated`, async () => {
    const h = harness({ repoUrl: TRACKED[provider] });
    const cases: Array<[string, Record<string, string>]> = [
      ['{"ref": "refs/heads/main",', { 'content-type': 'application/json' }],
      ['[1, 2, 3]', { 'content-type': 'application/json' }],
      ['"just a string"', { 'content-type': 'application/json' }],
      ['null', { 'content-type': 'application/json' }],
      [JSON.stringify(push.payload), { 'content-type': 'text/plain' }],
      [JSON.stringify(push.payload), {}],
      ['payload=%7B', { 'content-type': 'application/x-www-form-urlencoded' }],
    ];
    for (const [i, [text, headers]] of cases.entries()) {
      const body = Buffer.from(text);
      const { 'content-type': _ignored, ...rest } = push.headers;
      void _ignored;
      const res = await h.send(request(provider, body, { ...rest, ...headers, ...signatureHeader(provider, body), [deliveryHeader(provider)]: `bad-${i}` }));
      assert.equal(res.status, 400, `${text} (${JSON.stringify(headers)})`);
      assert.equal(typeof res.json.error, 'string');
    }
    assert.deepEqual(h.reconciles, []);
    assert.equal(await h.count(provider, 'bad_request'), cases.length);
  });

  test(`${provider}: a redelivery (same delivery id) is acknowledged but enqueues nothing more`, async () => {
    const h = harness({ repoUrl: TRACKED[provider] });
    const first = await h.send(signedDelivery(provider, push));
    const again = await h.send(signedDelivery(provider, push));
    assert.equal(first.json.action, 'reconcile');
    assert.equal(again.status, 202);
    assert.equal(again.json.ignored, 'duplicate delivery');
    assert.equal(h.reconciles.length, 1);
    assert.equal(await h.count(provider, 'duplicate'), 1);
  });
}

function deliveryHeader(provider: WebhookProviderName): string {
  return { github: 'x-github-delivery', gitlab: 'x-gitlab-event-uuid', gitea: 'x-gitea-delivery', bitbucket: 'x-request-uuid', generic: 'x-delivery-id' }[provider];
}

test('without a webhook secret configured every delivery is refused, signed or not', async () => {
  const h = harness({ repoUrl: TRACKED.github, secret: undefined });
  const res = await h.send(signedDelivery('github', fixture('github-push')));
  assert.equal(res.status, 401);
  assert.match(String(res.json.error), /no webhook secret/);
  assert.deepEqual(h.reconciles, []);
});

test('the delivery-id memory is bounded: an id forgotten long ago is handled again', async () => {
  const h = harness({ repoUrl: TRACKED.github, dedupeCapacity: 3 });
  const push = fixture('github-push');
  for (const id of ['a', 'b', 'c', 'd', 'a']) await h.send(signedDelivery('github', push, { headers: { 'x-github-delivery': id } }));
  assert.equal(h.reconciles.length, 5, 'a was evicted by d, so its redelivery counts again');
  await h.send(signedDelivery('github', push, { headers: { 'x-github-delivery': 'd' } }));
  assert.equal(h.reconciles.length, 5);
});

test('deliveries without an id are never de-duplicated', async () => {
  const h = harness({ repoUrl: TRACKED.generic });
  const body = Buffer.from('{}');
  for (let i = 0; i < 3; i++) await h.send(request('generic', body, { 'content-type': 'application/json', ...signatureHeader('generic', body) }));
  assert.equal(h.reconciles.length, 3);
});
