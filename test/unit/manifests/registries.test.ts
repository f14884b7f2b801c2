// spec.registries in cluster.yaml, and registry credentials written into Git: a username,
// password, token or Docker `auth` in cluster.yaml, and a password, identity token or whole
// `auths` block in a Compose file's `x-` keys, are validation errors at their key, so that
// `flotilla validate` in the config repo's CI refuses them before merge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblems, CLUSTER, CLUSTER_FILE, COMPOSE, loadInline } from './support.js';

const WEB = 'services:\n  web:\n    image: reg.example.com:5000/team/web:1\n';

test('spec.registries is read with its hosts and auth files', async () => {
  const cluster = `${CLUSTER}  registries:\n    - host: reg.example.com:5000\n      auth: { file: /etc/flotilla/reg.json }\n    - host: https://ghcr.io\n      auth: { file: ghcr.json }\n`;
  const result = await loadInline(WEB, {}, cluster);
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.state?.cluster.registries, [
    { host: 'reg.example.com:5000', auth: { file: '/etc/flotilla/reg.json' } },
    { host: 'https://ghcr.io', auth: { file: 'ghcr.json' } },
  ]);
  assert.deepEqual((await loadInline(WEB)).state?.cluster.registries, [], 'none by default');
});

test('a password, username, token or auth written inline in cluster.yaml is refused at its key', async () => {
  const cluster = `${CLUSTER}  registries:\n    - host: reg.example.com:5000\n      auth:\n        file: /etc/flotilla/reg.json\n        password: hunter2\n    - host: ghcr.io\n      username: octo\n      auth: { file: g.json, token: ghp_x }\n`;
  assertProblems(await loadInline(WEB, {}, cluster), [
    { file: CLUSTER_FILE, line: 20, col: 9, pointer: '/spec/registries/0/auth/password', message: /`auth\.password` in spec\.registries: registry credentials must not be written in Git.*auth\.file/ },
    { file: CLUSTER_FILE, line: 22, col: 7, pointer: '/spec/registries/1/username', message: /`username` in spec\.registries: registry credentials must not be written in Git/ },
    { file: CLUSTER_FILE, line: 23, col: 29, pointer: '/spec/registries/1/auth/token', message: /`auth\.token` in spec\.registries/ },
  ]);
});

test('a registry without an auth file, with a malformed host, or listed twice (Docker Hub aliases too) is refused', async () => {
  const cluster = `${CLUSTER}  registries:\n    - host: "not a host"\n      auth: { file: a.json }\n    - host: docker.io\n      auth: { file: b.json }\n    - host: index.docker.io\n      auth: { file: c.json }\n    - host: ghcr.io\n      auth: {}\n`;
  const result = await loadInline(WEB, {}, cluster);
  const messages = result.problems.map((p) => `${p.line} ${p.message}`);
  assert.equal(result.state, undefined);
  assert.ok(messages.some((m) => /^17 .*invalid value .*"not a host".*registry\.example\.com:5000/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /^21 registry docker\.io is already listed \(line 19\)/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /^24 .*missing the required key `file`/.test(m)), messages.join('\n'));
});

test('registry credentials in x- keys of a Compose file are refused; ordinary x- anchors are not', async () => {
  const compose = `x-registry:
  host: reg.example.com:5000
  password: hunter2
x-defaults: &defaults
  environment: { LOG_LEVEL: info, DB_PASSWORD_FILE: /run/secrets/db }
x-docker:
  auths:
    reg.example.com:5000: { auth: aHVudGVyOmh1bnRlcjI= }
services:
  web:
    <<: *defaults
    image: reg.example.com:5000/team/web:1
    x-pull:
      - identitytoken: abc
`;
  assertProblems(await loadInline(compose), [
    { file: COMPOSE, line: 3, col: 3, pointer: '/x-registry/password', message: /`x-registry\.password` holds a credential written in Git.*spec\.registries\[\]\.auth\.file/ },
    { file: COMPOSE, line: 7, col: 3, pointer: '/x-docker/auths', message: /`x-docker\.auths` holds a credential/ },
    { file: COMPOSE, line: 14, col: 9, pointer: '/services/web/x-pull/0/identitytoken', message: /`services\.web\.x-pull\.0\.identitytoken` holds a credential/ },
  ]);
});
