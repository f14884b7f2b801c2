// Compose keys that shape the container (expose, hostname, domainname, shm_size, dns_search,
// tty, stdin_open, sysctls, ulimits, logging, pids_limit, mem_limit) behave on a real node as `docker compose up` makes them: checked with the
// Engine's own inspect of the container and from inside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { dockerOf, serviceContainers } from '../support/fleet-view.js';
import { run } from '../support/exec.js';

test('expose, hostname, domainname, shm_size, dns_search, tty, stdin_open, sysctls, ulimits, logging, pids_limit and mem_limit on a real node', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 1, name: 'compose-keys' });
  const git = await startGitServer();
  let closeFlotilla = (): void => undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const web = {
      ...webService({ replicas: 1 }),
      expose: [3000, '9100/udp'],
      hostname: 'api',
      domainname: 'internal.example',
      shm_size: '128m',
      dns_search: ['internal.example'],
      tty: true,
      stdin_open: true,
      sysctls: { 'net.ipv4.ip_unprivileged_port_start': 1024, 'net.core.somaxconn': 511 },
      ulimits: { nofile: { soft: 2048, hard: 4096 } },
      logging: { driver: 'json-file', options: { 'max-size': '1m', 'max-file': 2 } },
      pids_limit: 64,
      mem_limit: '64m',
    };
    const config: ClusterConfig = { name: 'keys', nodes: fleetClusterNodes(fleet), stacks: { app: { services: { web } } } };
    const { repo } = await ConfigRepo.create(git, 'config', config);
    const flotilla = await startInProcess({ repoUrl: repo.url });
    closeFlotilla = flotilla.close;
    await reconcileExpecting(flotilla, 'success');
    const [container] = await serviceContainers(fleet, 'app', 'web');
    assert.ok(container, 'the replica runs');
    const node = fleet.node(container.node);
    const info = await dockerOf(node).getContainer(container.id).inspect();
    assert.equal(info.Config.Hostname, 'api');
    assert.equal(info.Config.Domainname, 'internal.example');
    assert.equal(info.Config.Tty, true);
    assert.equal(info.Config.OpenStdin, true);
    assert.deepEqual(Object.keys(info.Config.ExposedPorts ?? {}).sort(), ['3000/tcp', '80/tcp', '9100/udp']);
    assert.deepEqual(info.HostConfig.PortBindings ?? {}, {}, 'expose publishes nothing');
    assert.equal(info.HostConfig.ShmSize, 128 * 1024 * 1024);
    assert.deepEqual(info.HostConfig.DnsSearch, ['internal.example']);
    // From inside: the hostname is what the process sees, /dev/shm has the size asked for.
    assert.deepEqual(info.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } });
    assert.equal(info.HostConfig.PidsLimit, 64);
    assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
    // From inside: the hostname is what the process sees, /dev/shm has the size asked for,
    // the kernel settings and the open-files limit are the container's own.
    const inside = await run('docker', ['-H', `unix://${node.socketPath}`, 'exec', container.id, 'sh', '-c', 'hostname; df -k /dev/shm | tail -1; cat /proc/sys/net/core/somaxconn /proc/sys/net/ipv4/ip_unprivileged_port_start; grep "Max open files" /proc/1/limits']);
    assert.match(inside.stdout, /^api\n/);
    assert.match(inside.stdout, /\b131072\b/, `/dev/shm is 128 MiB: ${inside.stdout}`);
    assert.match(inside.stdout, /\n511\n1024\nMax open files +2048 +4096 /, `sysctls and ulimits inside: ${inside.stdout}`);
  } finally {
    closeFlotilla();
    await git.close();
    await fleet.stop();
  }
});
