import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Errors } from 'isomorphic-git';
import {
  classifyRemoteError,
  GitAuthError,
  GitRefNotFoundError,
  GitRepoNotFoundError,
  GitUnreachableError,
  redactUrl,
  scrub,
} from '../../../src/sync/git-errors.js';

const TOKEN = 'ghp_S3cretT0kenValue';

test('redactUrl drops user, password, query and fragment', () => {
  assert.equal(redactUrl(`https://x-access-token:${TOKEN}@github.com/acme/fleet.git`), 'https://github.com/acme/fleet.git');
  assert.equal(redactUrl(`https://${TOKEN}@gitlab.example/acme/fleet.git?private_token=${TOKEN}#x`), 'https://gitlab.example/acme/fleet.git');
  assert.equal(redactUrl('http://127.0.0.1:8080/r.git'), 'http://127.0.0.1:8080/r.git');
  assert.equal(redactUrl(`not a url ${TOKEN}`), '<unparseable URL>');
});

test('scrub removes a secret in plain, URL-encoded and base64 forms', () => {
  const secret = 'p@ss/word+1';
  const basic = Buffer.from(secret).toString('base64');
  const text = `a ${secret} b ${encodeURIComponent(secret)} c ${basic}`;
  const out = scrub(text, [secret]);
  assert.equal(out.includes(secret) || out.includes(encodeURIComponent(secret)) || out.includes(basic), false);
  assert.equal(scrub('nothing here', [undefined, '']), 'nothing here');
});

const ctx = { url: 'https://git.example/acme/fleet.git', hasToken: true, secrets: [TOKEN], ref: 'refs/heads/main' };

test('401 and 403 become GitAuthError that names the token file, not the token', () => {
  for (const status of [401, 403]) {
    const err = classifyRemoteError(new Errors.HttpError(status, 'Unauthorized', `bad token ${TOKEN}`), ctx);
    assert.ok(err instanceof GitAuthError);
    assert.equal(err.code, 'GIT_AUTH');
    assert.equal(err.status, status);
    assert.match(err.message, /token file/);
    assert.ok(!err.message.includes(TOKEN));
  }
  const anonymous = classifyRemoteError(new Errors.HttpError(401, 'Unauthorized', ''), { ...ctx, hasToken: false });
  assert.match(anonymous!.message, /requires authentication/);
});

test('network failures and 5xx become GitUnreachableError with the redacted URL', () => {
  const refused = Object.assign(new Error(`connect ECONNREFUSED (${TOKEN})`), { code: 'ECONNREFUSED' });
  const err = classifyRemoteError(refused, ctx);
  assert.ok(err instanceof GitUnreachableError);
  assert.equal(err.code, 'GIT_UNREACHABLE');
  assert.ok(err.message.includes(ctx.url));
  assert.ok(!err.message.includes(TOKEN));
  assert.ok(classifyRemoteError(Object.assign(new Error('t'), { code: 'ETIMEDOUT' }), ctx) instanceof GitUnreachableError);
  assert.ok(classifyRemoteError(new Errors.HttpError(502, 'Bad Gateway', ''), ctx) instanceof GitUnreachableError);
  assert.ok(classifyRemoteError(new Errors.SmartHttpError('<html>', ''), ctx) instanceof GitUnreachableError);
});

test('404 is a missing repository; an unadvertised ref is a missing ref; anything else is unknown', () => {
  assert.ok(classifyRemoteError(new Errors.HttpError(404, 'Not Found', ''), ctx) instanceof GitRepoNotFoundError);
  const ref = classifyRemoteError(new Errors.NotFoundError('refs/heads/main'), ctx);
  assert.ok(ref instanceof GitRefNotFoundError);
  assert.equal(ref.code, 'GIT_REF_NOT_FOUND');
  // A missing object is not a missing ref: the caller suspects its cache.
  assert.equal(classifyRemoteError(new Errors.NotFoundError('3f786850e387550fdab836ed7e6dc881de23001b'), ctx), undefined);
  assert.equal(classifyRemoteError(new Error('Packfile is truncated'), ctx), undefined);
});
