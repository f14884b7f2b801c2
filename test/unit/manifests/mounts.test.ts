// Service `volumes:` entries and the bind-mount policy check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindAllowed, normalizeHostPath, parseMount, parseTmpfs } from '../../../src/manifests/mounts.js';

const mount = (value: unknown) => {
  const result = parseMount(value);
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.mount;
};
const error = (value: unknown) => {
  const result = parseMount(value);
  assert.equal(result.ok, false);
  return (result as { message: string }).message;
};

test('short syntax: named volume, bind (absolute), anonymous volume, ro/rw modes', () => {
  assert.deepEqual(mount('data:/data'), { type: 'volume', source: 'data', target: '/data', readOnly: false });
  assert.deepEqual(mount('data:/data:ro'), { type: 'volume', source: 'data', target: '/data', readOnly: true });
  assert.deepEqual(mount('/srv/x:/x:rw'), { type: 'bind', source: '/srv/x', target: '/x', readOnly: false });
  assert.deepEqual(mount('/srv/x:/x:ro,z'), { type: 'bind', source: '/srv/x', target: '/x', readOnly: true });
  assert.deepEqual(mount('/scratch'), { type: 'volume', target: '/scratch', readOnly: false });
});

test('long syntax: volume, bind and tmpfs', () => {
  assert.deepEqual(mount({ type: 'volume', source: 'pg', target: '/var/lib/pg', read_only: true }), { type: 'volume', source: 'pg', target: '/var/lib/pg', readOnly: true });
  assert.deepEqual(mount({ type: 'bind', source: '/srv/a/../b', target: '/b' }), { type: 'bind', source: '/srv/b', target: '/b', readOnly: false });
  assert.deepEqual(mount({ type: 'tmpfs', target: '/tmp', tmpfs: { size: '64m' } }), { type: 'tmpfs', target: '/tmp', readOnly: false });
});

test('relative binds, relative targets, bad modes and bad names are refused', () => {
  assert.match(error('./data:/data'), /is relative; the stack runs on remote nodes/);
  assert.match(error('~/data:/data'), /is relative/);
  assert.match(error('data:relative'), /the container path must be absolute/);
  assert.match(error('data:/data:rx'), /unknown mode "rx"/);
  assert.match(error('a:b:c:d'), /too many ":"/);
  assert.match(error('bad name:/x'), /is not a volume name/);
  assert.match(error('relative'), /must be "name:\/path"/);
  assert.match(error({ type: 'bind', target: '/x' }), /a bind mount needs `source`/);
  assert.match(error({ type: 'volume', target: 'x' }), /must be an absolute path in the container/);
  assert.match(error({ type: 'tmpfs', target: '/t', tmpfs: { size: 'lots' } }), /not a size such as 64m/);
});

test('tmpfs entries become tmpfs mounts, options dropped', () => {
  assert.deepEqual(parseTmpfs('/run'), [{ type: 'tmpfs', target: '/run', readOnly: false }]);
  assert.deepEqual(parseTmpfs(['/run', '/tmp:size=64m']).map((m) => m.target), ['/run', '/tmp']);
});

test('host paths are normalized lexically: .. and . resolved, repeated and trailing slashes dropped', () => {
  assert.equal(normalizeHostPath('/srv/data/../../etc'), '/etc');
  assert.equal(normalizeHostPath('/srv//data/./x/'), '/srv/data/x');
  assert.equal(normalizeHostPath('/../..'), '/');
});

test('bindAllowed matches by path segments, never by string prefix, and after resolving ..', () => {
  const allowed = ['/srv/data', '/var/log/'];
  assert.equal(bindAllowed('/srv/data', allowed), true);
  assert.equal(bindAllowed('/srv/data/site/html', allowed), true);
  assert.equal(bindAllowed('/var/log/app', allowed), true);
  assert.equal(bindAllowed('/srv/database', allowed), false, 'a sibling sharing a string prefix');
  assert.equal(bindAllowed('/srv/data/../../etc', allowed), false, 'a .. escape');
  assert.equal(bindAllowed('/srv/data/../secrets', allowed), false);
  assert.equal(bindAllowed('/srv/other/../data/x', allowed), true, '.. that lands inside is fine');
  assert.equal(bindAllowed('/etc', []), false);
  assert.equal(bindAllowed('/etc', ['/']), true);
});
