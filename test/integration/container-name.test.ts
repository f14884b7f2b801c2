// container_name, networks.<n>.ipv4_address/aliases and ipam on a real node: the container
// has the fixed name, the fixed address on a network created with the declared subnet, and
// a container renamed out of band is recreated under the fixed name by the next reconcile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { dockerOf, serviceContainers } from '../support/fleet-view.js';

const SUBNET = '192.168.213.0/24';
const ADDRESS = '192.168.213.10';

test('container_name, ipv4_address, aliases and ipam behave as in Compose on a real node, and a rename is undone', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 1, name: 'container-name' });
  const git = await startGitServer();
  let closeFlotilla = (): void => undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const web = { ...webService({ replicas: 1 }), container_name: 'fixed-web', networks: { front: null, back: { ipv4_address: ADDRESS, aliases: ['www'] } } };
    // `back` comes second, so it is joined by a connect after create: the path with the most to lose.
    const stack = { services: { web }, networks: { front: null, back: { ipam: { config: [{ subnet: SUBNET, gateway: '192.168.213.1' }] } } } };
    const config: ClusterConfig = { name: 'named', nodes: fleetClusterNodes(fleet), stacks: { app: stack } };
    const { repo } = await ConfigRepo.create(git, 'config', config);
    const flotilla = await startInProcess({ repoUrl: repo.url });
    closeFlotilla = flotilla.close;
    await reconcileExpecting(flotilla, 'success');

    const [container] = await serviceContainers(fleet, 'app', 'web');
    assert.ok(container, 'the replica runs');
    const docker = dockerOf(fleet.node(container.node));
    const info = await docker.getContainer(container.id).inspect();
    assert.equal(info.Name, '/fixed-web');
    const endpoint = info.NetworkSettings.Networks['app_back'];
    assert.equal(endpoint?.IPAddress, ADDRESS);
    assert.ok(endpoint?.Aliases?.includes('www') && endpoint.Aliases.includes('web'), `aliases: ${JSON.stringify(endpoint?.Aliases)}`);
    const network = await docker.getNetwork('app_back').inspect();
    assert.deepEqual(network.IPAM?.Config?.map((c: { Subnet?: string; Gateway?: string }) => [c.Subnet, c.Gateway]), [[SUBNET, '192.168.213.1']]);

    // Out of band: someone renames it. Drift compares against the fixed name, not <stack>-<service>-1.
    await docker.getContainer(container.id).rename({ name: 'someone-renamed-it' });
    await reconcileExpecting(flotilla, 'success');
    const after = await docker.listContainers({ all: true });
    const names = after.flatMap((c) => c.Names).sort();
    assert.ok(names.includes('/fixed-web'), `names after: ${names.join(', ')}`);
    assert.ok(!names.includes('/someone-renamed-it') && !names.includes('/app-web-1'), `names after: ${names.join(', ')}`);
  } finally {
    closeFlotilla();
    await git.close();
    await fleet.stop();
  }
});
