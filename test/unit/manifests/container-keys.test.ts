// Compose keys that map one-to-one onto the container (`expose`, `hostname`, `domainname`,
// `stdin_open`, `tty`, `shm_size`, `dns`, `dns_search`): accepted, carried into the Docker
// create body, and absent from it when not written, so existing spec hashes hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceBody, specHash } from '../../../src/reconcile/plan/container-spec.js';
import { assertProblems, COMPOSE, loadInline } from './support.js';

const FULL = `services:
  api:
    image: nginx:1.27
    ports: ["8080:80"]
    expose: [3000, "9100-9102", "53/udp"]
    hostname: api
    domainname: internal.example
    stdin_open: true
    tty: true
    shm_size: 256m
    dns: 10.0.0.53
    dns_search: [internal.example, example]
`;

test('expose, hostname, domainname, stdin_open, tty, shm_size, dns and dns_search reach the create body', async () => {
  const result = await loadInline(FULL);
  assert.deepEqual(result.problems, []);
  const stack = result.state?.stacks[0];
  const service = stack?.services[0];
  assert.ok(stack && service);
  const body = serviceBody('c', stack, service);
  assert.deepEqual(Object.keys(body.ExposedPorts ?? {}).sort(), ['3000/tcp', '53/udp', '80/tcp', '9100/tcp', '9101/tcp', '9102/tcp']);
  assert.deepEqual(Object.keys(body.HostConfig.PortBindings ?? {}), ['80/tcp'], 'expose publishes nothing');
  assert.equal(body.Hostname, 'api');
  assert.equal(body.Domainname, 'internal.example');
  assert.equal(body.OpenStdin, true);
  assert.equal(body.Tty, true);
  assert.equal(body.HostConfig.ShmSize, 256 * 1024 * 1024);
  assert.deepEqual(body.HostConfig.Dns, ['10.0.0.53']);
  assert.deepEqual(body.HostConfig.DnsSearch, ['internal.example', 'example']);
});

test('a service that writes none of these keys gets none of them in its body, so its spec hash is unchanged', async () => {
  const plain = await loadInline('services:\n  api:\n    image: nginx:1.27\n    ports: ["8080:80"]\n');
  const stack = plain.state?.stacks[0];
  const service = stack?.services[0];
  assert.ok(stack && service);
  const body = serviceBody('c', stack, service);
  for (const key of ['Hostname', 'Domainname', 'OpenStdin', 'Tty'] as const) assert.equal(key in body, false, key);
  for (const key of ['ShmSize', 'Dns', 'DnsSearch'] as const) assert.equal(key in body.HostConfig, false, key);
  const withHostname = await loadInline('services:\n  api:\n    image: nginx:1.27\n    ports: ["8080:80"]\n    hostname: api\n');
  const s2 = withHostname.state?.stacks[0];
  assert.ok(s2?.services[0]);
  assert.notEqual(specHash(serviceBody('c', s2, s2.services[0])), specHash(body), 'writing hostname rolls the service');
});

test('an expose entry that is no port or too wide a range is refused at its position, with an example', async () => {
  const result = await loadInline('services:\n  api:\n    image: nginx:1.27\n    expose: ["1-5000"]\n');
  assertProblems(result, [{ file: COMPOSE, line: 4, message: /expose "1-5000" is not a container port or a range of at most 1024 ports/ }]);
  const bad = await loadInline('services:\n  api:\n    image: nginx:1.27\n    expose: ["http"]\n');
  assert.equal(bad.state, undefined);
  assert.match(bad.problems[0]?.message ?? '', /expose/);
});

test('shm_size that is not a size is refused', async () => {
  const result = await loadInline('services:\n  api:\n    image: nginx:1.27\n    shm_size: lots\n');
  assert.equal(result.state, undefined);
  assert.match(result.problems.map((p) => p.message).join('\n'), /shm_size|size/);
});
