import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, SecretRedactor, withFleetContext, type LoggerOptions } from '../../../src/log.js';

function capture(options: Omit<LoggerOptions, 'destination'> = {}) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = createLogger({ pretty: false, ...options, destination });
  return { log, text: () => chunks.join(''), lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('JSON, one event a line, at the chosen level and above', () => {
  const { log, lines } = capture({ level: 'warn' });
  log.info('not shown');
  log.warn({ node: 'node-b' }, 'node is down');
  log.error('boom');
  assert.deepEqual(lines().map((l) => [l.level, l.msg, l.app]), [[40, 'node is down', 'flotilla'], [50, 'boom', 'flotilla']]);
  assert.equal(lines()[0]?.node, 'node-b');
});

test('an unknown --log-level is refused with the valid ones', () => {
  assert.throws(() => createLogger({ level: 'verbose' }), /unknown log level "verbose": use one of trace, debug, info, warn, error, fatal, silent/);
});

test('fields named like secrets are redacted', () => {
  const { log, text } = capture();
  log.info({ token: 'abc123456', nested: { secret: 'xyz987654' }, headers: { authorization: 'Bearer qwe456789' }, gitToken: 'ghp_aaaaaaaa' }, 'config');
  for (const secret of ['abc123456', 'xyz987654', 'qwe456789', 'ghp_aaaaaaaa']) assert.ok(!text().includes(secret), secret);
  assert.ok(text().includes('[redacted]'));
});

test('known secret values are scrubbed wherever they appear: messages, errors, URLs, JSON escapes', () => {
  const secrets = new SecretRedactor();
  const { log, text } = capture({ secrets });
  secrets.add('ghp_0123456789abcdef');
  secrets.add('https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXX');
  secrets.add('we"ird\\secret');
  secrets.add('short');
  log.error({ err: new Error('fetch https://x-access-token:ghp_0123456789abcdef@github.com/acme/config failed') }, 'git fetch failed');
  log.warn('POST https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXX answered 500');
  log.warn('request to /services/T0001/B0001/XXXXXXXXXXXXXXXX timed out');
  log.info({ value: 'we"ird\\secret' }, 'odd characters');
  log.info('a url-encoded token: ghp_0123456789abcdef'.replace('ghp_0123456789abcdef', encodeURIComponent('ghp_0123456789abcdef')));
  log.info('short words stay: short');
  const out = text();
  for (const leak of ['ghp_0123456789abcdef', 'XXXXXXXXXXXXXXXX', 'we\\"ird\\\\secret']) assert.ok(!out.includes(leak), `${leak} leaked:\n${out}`);
  assert.ok(out.includes('short words stay: short'), 'values under 6 characters are not scrubbed');
  assert.ok((out.match(/\[redacted\]/g)?.length ?? 0) >= 5);
});

test('withFleetContext puts cluster, stack, service, node and commit on every line, leaving out the unknown ones', () => {
  const { log, lines } = capture();
  const reconcile = withFleetContext(log, { cluster: 'production', commit: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d', node: undefined });
  withFleetContext(reconcile, { stack: 'shop', service: 'web', node: 'node-a' }).info('replica started');
  const [line] = lines();
  assert.deepEqual([line?.cluster, line?.commit, line?.stack, line?.service, line?.node], ['production', '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d', 'shop', 'web', 'node-a']);
  reconcile.info('plain');
  assert.equal('node' in (lines()[1] ?? {}), false);
});

test('on a terminal the lines are readable text, and still scrubbed', () => {
  const secrets = new SecretRedactor();
  secrets.add('api-token-0123456789');
  const { log, text } = capture({ pretty: true, secrets });
  log.info({ node: 'node-a' }, 'deployed with api-token-0123456789');
  const out = text().replace(/\x1b\[[0-9;]*m/g, '');
  assert.ok(!out.trimStart().startsWith('{'), out);
  assert.match(out, /INFO/);
  assert.match(out, /deployed with \[redacted\]/);
  assert.match(out, /node: "node-a"/);
});

test('flush reaches the destination, so lines written before SIGTERM are not lost', async () => {
  const { log } = capture();
  log.info('last words');
  await new Promise<void>((resolve, reject) => log.flush((err) => (err ? reject(err) : resolve())));
});
