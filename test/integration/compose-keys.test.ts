// Compose keys that shape the container (expose, hostname, domainname, shm_size, dns_search,
// tty, stdin_open) behave on a real node as `docker compose up` makes them: checked with the
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

test('expose, hostname, domainname, shm_size, dns_search, tty and stdin_open on a real node', async (t) => {
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
    const inside = await run('docker', ['-H', `unix://${node.socketPath}`, 'exec', container.id, 'sh', '-c', 'hostname; df -k /dev/shm | tail -1']);
    assert.match(inside.stdout, /^api\n/);
    assert.match(inside.stdout, /\b131072\b/, `/dev/shm is 128 MiB: ${inside.stdout}`);
  } finally {
    closeFlotilla();
    await git.close();
    await fleet.stop();
  }
});
