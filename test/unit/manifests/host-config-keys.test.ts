// Host-config Compose keys (host-config-keys.ts): carried into the Docker create body as
// Compose carries them, the legacy resource keys folded into deploy.resources, the keys that
// reach into the host refused unless the policy switch their error names is on, and `build`
// next to `image` accepted with a warning while `build` alone keeps its clear error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceBody } from '../../../src/reconcile/plan/container-spec.js';
import { assertProblems, CLUSTER, COMPOSE, loadInline } from './support.js';

const FULL = `services:
  db:
    image: postgres:16
    sysctls:
      net.core.somaxconn: 1024
      net.ipv4.tcp_syncookies: 0
    ulimits:
      nproc: 65535
      nofile: { soft: 20000, hard: 40000 }
    runtime: runc
    logging:
      driver: json-file
      options: { max-size: 10m, max-file: 3 }
    pids_limit: 200
    group_add: [audio]
    dns_opt: [use-vc]
    cpu_shares: 512
    pull_policy: missing
    mem_limit: 512m
    mem_reservation: 128m
    memswap_limit: 1g
    cpus: 0.5
    ipc: shareable
`;

async function bodyOf(compose: string, cluster = CLUSTER) {
  const result = await loadInline(compose, {}, cluster);
  assert.deepEqual(result.problems, []);
  const stack = result.state?.stacks[0];
  const service = stack?.services[0];
  assert.ok(stack && service);
  return { body: serviceBody('c', stack, service), service, warnings: result.warnings ?? [] };
}

test('sysctls, ulimits, runtime, logging, pids_limit, group_add, dns_opt, cpu_shares and the legacy resource keys reach the create body', async () => {
  const { body, service } = await bodyOf(FULL);
  const host = body.HostConfig;
  assert.deepEqual(host.Sysctls, { 'net.core.somaxconn': '1024', 'net.ipv4.tcp_syncookies': '0' });
  assert.deepEqual(host.Ulimits, [{ Name: 'nproc', Soft: 65535, Hard: 65535 }, { Name: 'nofile', Soft: 20000, Hard: 40000 }]);
  assert.equal(host.Runtime, 'runc');
  assert.deepEqual(host.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
  assert.equal(host.PidsLimit, 200);
  assert.deepEqual(host.GroupAdd, ['audio']);
  assert.deepEqual(host.DnsOptions, ['use-vc']);
  assert.equal(host.CpuShares, 512);
  assert.equal(host.Memory, 512 * 1024 * 1024);
  assert.equal(host.MemoryReservation, 128 * 1024 * 1024);
  assert.equal(host.MemorySwap, 1024 * 1024 * 1024);
  assert.equal(host.NanoCpus, 500_000_000);
  assert.equal(host.IpcMode, 'shareable');
  // The scheduler reserves against deploy.resources: the legacy form must count there too.
  assert.equal(service.deploy.reservations.memoryBytes, 128 * 1024 * 1024);
});

test('none of these keys written, none of them in the body', async () => {
  const { body } = await bodyOf('services:\n  api:\n    image: nginx:1.27\n');
  for (const key of ['Sysctls', 'Ulimits', 'Runtime', 'LogConfig', 'PidsLimit', 'GroupAdd', 'DnsOptions', 'CpuShares', 'MemorySwap', 'Devices', 'SecurityOpt', 'PidMode', 'IpcMode', 'UsernsMode', 'CgroupParent', 'Memory', 'NanoCpus'] as const) {
    assert.equal(key in body.HostConfig, false, key);
  }
});

test('a legacy resource key next to its deploy.resources form is refused, naming both', async () => {
  const result = await loadInline('services:\n  api:\n    image: nginx:1.27\n    mem_limit: 1g\n    deploy:\n      resources:\n        limits: { memory: 512m }\n');
  assertProblems(result, [{ file: COMPOSE, line: 4, message: /`mem_limit` and `deploy.resources.limits.memory` are both set/ }]);
});

test('pull_policy always is refused with the way to roll a moving tag; a soft ulimit above hard is refused', async () => {
  assertProblems(await loadInline('services:\n  api:\n    image: nginx:1.27\n    pull_policy: always\n'), [{ file: COMPOSE, line: 4, message: /pull_policy "always" is not supported.*pin a digest/ }]);
  assertProblems(await loadInline('services:\n  api:\n    image: nginx:1.27\n    ulimits:\n      nofile: { soft: 9, hard: 1 }\n'), [{ file: COMPOSE, line: 5, message: /soft 9 is above hard 1/ }]);
});

test('devices, security_opt, host pid/ipc/userns and cgroup_parent are refused by the default policy, each naming its switch', async () => {
  const result = await loadInline(`services:
  agent:
    image: nginx:1.27
    devices: ["/dev/fuse:/dev/fuse"]
    security_opt: ["apparmor:unconfined"]
    pid: host
    ipc: host
    userns_mode: host
    cgroup_parent: /system.slice
`);
  assertProblems(result, [
    { file: COMPOSE, line: 4, message: /host devices is forbidden by the cluster policy.*spec\.policy\.allowDevices: true/ },
    { file: COMPOSE, line: 5, message: /security profile is forbidden.*spec\.policy\.allowSecurityOpt: true/ },
    { file: COMPOSE, line: 6, message: /PID namespace is forbidden.*allowHostNamespaces/ },
    { file: COMPOSE, line: 7, message: /IPC namespace is forbidden.*allowHostNamespaces/ },
    { file: COMPOSE, line: 8, message: /user namespace is forbidden.*allowHostNamespaces/ },
    { file: COMPOSE, line: 9, message: /host cgroup is forbidden.*allowCgroupParent: true/ },
  ]);
});

test('with the policy switches on, the host-reaching keys reach the body', async () => {
  const cluster = `${CLUSTER}  policy: { allowDevices: true, allowSecurityOpt: true, allowHostNamespaces: true, allowCgroupParent: true }\n`;
  const { body } = await bodyOf('services:\n  agent:\n    image: nginx:1.27\n    devices: ["/dev/fuse", "/dev/sda:/dev/xvda:r"]\n    security_opt: ["no-new-privileges:true"]\n    pid: host\n    cgroup_parent: /system.slice\n', cluster);
  assert.deepEqual(body.HostConfig.Devices, [
    { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
    { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvda', CgroupPermissions: 'r' },
  ]);
  assert.deepEqual(body.HostConfig.SecurityOpt, ['no-new-privileges:true']);
  assert.equal(body.HostConfig.PidMode, 'host');
  assert.equal(body.HostConfig.CgroupParent, '/system.slice');
});

test('pid or ipc of another service is refused: the other container may be on another node', async () => {
  assertProblems(await loadInline('services:\n  a:\n    image: nginx:1.27\n    ipc: service:b\n  b:\n    image: nginx:1.27\n'), [{ file: COMPOSE, line: 4, message: /ipc: service:b joins another container's namespace/ }]);
});

test('build next to image is accepted with a warning at the key; build alone keeps its clear error', async () => {
  const { warnings } = await bodyOf('services:\n  api:\n    image: ghcr.io/acme/api:1.2\n    build: .\n');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]?.line, 4);
  assert.match(warnings[0]?.message ?? '', /`build` is ignored: Flotilla deploys the image ghcr\.io\/acme\/api:1\.2/);
  assertProblems(await loadInline('services:\n  api:\n    build: .\n'), [{ file: COMPOSE, line: 3, message: /`build` without `image`.*never builds them/ }]);
});
