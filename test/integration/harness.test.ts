// Proves the integration-test harness itself: a fleet of real Docker nodes, the test images,
// containers reached at node addresses, crash and restart of a node, a clean teardown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import Docker from 'dockerode';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { startFleet, type FleetNode } from '../support/fleet.js';
import { loadImages, WEB_BODY, WEB_HEALTHY, WEB_UNHEALTHY, TEST_IMAGES } from '../support/images.js';
import { requireDocker, requireGit } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { gitEnv } from '../support/git-workcopy.js';
import { run } from '../support/exec.js';
import { httpGet, waitFor } from '../support/wait.js';
import { pingDocker } from '../support/docker-socket.js';
import { findProcessTree } from '../support/procs.js';
import { listLinks, listNetns } from '../support/netns.js';
import { mountsUnder } from '../support/mounts.js';
import { cgroupDirs } from '../support/cgroups.js';
import { fleetCgroup } from '../support/fleet-claim.js';
import { daemonLayout, shimSocketPath } from '../support/dockerd.js';

const TOKEN = 'test-token-1234';

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(2)} s`;

const containers: { node: FleetNode; id: string }[] = [];

async function runWeb(node: FleetNode, name: string, image: string, hostPort: number, restart = 'no'): Promise<string> {
  const docker = new Docker({ socketPath: node.socketPath });
  const container = await docker.createContainer({
    name,
    Image: image,
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(hostPort) }] }, RestartPolicy: { Name: restart } },
  });
  containers.push({ node, id: container.id });
  await container.start();
  return container.id;
}

async function waitForHealth(node: FleetNode, id: string, status: 'healthy' | 'unhealthy'): Promise<void> {
  const docker = new Docker({ socketPath: node.socketPath });
  await waitFor(`${id.slice(0, 12)} on ${node.name} to be ${status}`, async () => {
    const info = await docker.getContainer(id).inspect();
    return info.State.Health?.Status === status ? true : undefined;
  });
}

async function bodyAt(node: FleetNode, port: number): Promise<string> {
  return waitFor(`HTTP on ${node.address}:${port}`, async () => {
    const res = await httpGet(`http://${node.address}:${port}/`);
    return res.status === 200 ? res.body : undefined;
  });
}

test('fleet harness: three real Docker nodes, test images, crash/restart, clean teardown', async (t) => {
  if (!requireDocker(t)) return;
  const whole = performance.now();
  const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');

  let since = performance.now();
  const fleet = await startFleet({ nodes: 3, name: 'harness' });
  t.diagnostic(`fleet of 3 nodes started in ${seconds(since)} (subnet ${fleet.subnet})`);
  const [a, b, c] = fleet.nodes as [FleetNode, FleetNode, FleetNode];

  try {
    await t.test('every node answers on its unix socket and its TCP endpoint', async () => {
      assert.deepEqual(fleet.nodes.map((n) => n.name), ['node-a', 'node-b', 'node-c']);
      assert.equal(new Set(fleet.nodes.map((n) => n.address)).size, 3);
      for (const node of fleet.nodes) {
        assert.equal(node.endpoint, `unix://${node.socketPath}`);
        assert.ok(await pingDocker(node.socketPath), `${node.name} unix socket`);
        const overTcp = new Docker({ host: node.address, port: 2375, protocol: 'http' });
        const info = await overTcp.info();
        assert.equal(typeof info.ID, 'string', `${node.name} over ${node.tcpEndpoint}`);
      }
      // Separate daemons with their own identity, as on separate machines.
      const infos = await Promise.all(fleet.nodes.map((n) => new Docker({ socketPath: n.socketPath }).info() as Promise<{ ID: string; Name: string }>));
      assert.equal(new Set(infos.map((i) => i.ID)).size, 3);
      assert.deepEqual(infos.map((i) => i.Name), ['node-a', 'node-b', 'node-c']);
    });

    await t.test('the test images load onto every node', async () => {
      since = performance.now();
      await loadImages(fleet);
      t.diagnostic(`images loaded onto 3 nodes in ${seconds(since)}`);
      for (const node of fleet.nodes) {
        const tags = (await new Docker({ socketPath: node.socketPath }).listImages()).flatMap((i) => i.RepoTags ?? []);
        for (const image of TEST_IMAGES) assert.ok(tags.includes(image), `${image} on ${node.name}`);
      }
    });

    await t.test('a healthy web container on each node is served at its address and turns healthy', async () => {
      since = performance.now();
      const ids = await Promise.all(fleet.nodes.map((node) => runWeb(node, 'web', WEB_HEALTHY, 8080)));
      for (const node of fleet.nodes) assert.equal(await bodyAt(node, 8080), WEB_BODY[WEB_HEALTHY]);
      await Promise.all(fleet.nodes.map((node, i) => waitForHealth(node, ids[i] as string, 'healthy')));
      t.diagnostic(`3 containers served and healthy in ${seconds(since)}`);
    });

    await t.test('the unhealthy image turns unhealthy', async () => {
      const id = await runWeb(a, 'sick', WEB_UNHEALTHY, 8081);
      assert.equal(await bodyAt(a, 8081), WEB_BODY[WEB_UNHEALTHY]);
      await waitForHealth(a, id, 'unhealthy');
    });

    await t.test('a crashed node is down, and comes back with its data', async () => {
      const keeper = await runWeb(c, 'keeper', WEB_HEALTHY, 8082, 'always');
      await bodyAt(c, 8082);
      since = performance.now();
      await fleet.stopNode('node-c');
      t.diagnostic(`node-c crashed in ${seconds(since)}`);
      assert.equal(await pingDocker(c.socketPath), false, 'API of a crashed node');
      await assert.rejects(httpGet(`http://${c.address}:8080/`, 1_000), 'containers of a crashed node stop serving');
      assert.ok(await pingDocker(b.socketPath), 'the other nodes stay up');

      since = performance.now();
      await fleet.startNode('node-c');
      t.diagnostic(`node-c restarted in ${seconds(since)}`);
      const docker = new Docker({ socketPath: c.socketPath });
      const web = await docker.getContainer('web').inspect();
      assert.equal(web.State.Running, false, 'a container without restart policy stays down');
      assert.equal((await docker.getContainer(keeper).inspect()).Name, '/keeper');
      assert.equal(await bodyAt(c, 8082), WEB_BODY[WEB_HEALTHY], 'restart: always brings it back');
      assert.ok((await docker.listImages()).some((i) => i.RepoTags?.includes(WEB_HEALTHY)), 'images survive');
    });
  } finally {
    since = performance.now();
    await fleet.stop();
    t.diagnostic(`fleet torn down in ${seconds(since)}`);
  }

  await t.test('teardown leaves no process, namespace, link, mount, cgroup or directory', async () => {
    await fleet.stop(); // idempotent
    assert.deepEqual(findProcessTree(`${fleet.dir}/`), [], 'dockerd, containerd, shims, containers');
    const namespaces = listNetns();
    const links = listLinks();
    for (const node of fleet.nodes) {
      assert.ok(!namespaces.includes(node.netns), `namespace ${node.netns}`);
      assert.ok(!links.includes(node.hostLink), `link ${node.hostLink}`);
      assert.ok(!existsSync(node.dir), `directory ${node.dir}`);
    }
    assert.ok(!links.includes(fleet.bridge), `bridge ${fleet.bridge}`);
    assert.ok(!existsSync(fleet.dir), `directory ${fleet.dir}`);
    assert.deepEqual(mountsUnder(fleet.dir), []);
    assert.deepEqual(cgroupDirs(fleetCgroup(fleet.index)), [], 'cgroups');
    for (const { node, id } of containers) {
      assert.ok(!existsSync(shimSocketPath(daemonLayout(node.dir), id)), `shim socket of ${id.slice(0, 12)} on ${node.name}`);
    }
    assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), ipForward, 'host forwarding untouched');
  });
  t.diagnostic(`whole fleet harness test: ${seconds(whole)}`);
});

test('git server: real smart HTTP with token auth, gzip bodies, push, stop and start', async (t) => {
  if (!requireGit(t)) return;
  const server = await startGitServer({ token: TOKEN });
  const pushable = await startGitServer({ receivePack: true });
  const scratch = mkdtempSync('/tmp/flotilla-harness-');
  const env = gitEnv(join(scratch, 'home'));
  try {
    await server.createRepo('config');
    await server.commitFiles('config', { 'clusters/dev/cluster.yaml': 'kind: Cluster\n', 'README.md': 'hello\n' }, 'first');
    const second = await server.commitFiles('config', { 'README.md': null, 'stacks/web/compose.yaml': 'services: {}\n' }, 'second');
    assert.match(second, /^[0-9a-f]{40}$/);
    assert.equal(await server.head('config'), second);

    const anonymous = await fetch(`${server.url('config')}/info/refs?service=git-upload-pack`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    const wrong = await fetch(`${server.url('config')}/info/refs?service=git-upload-pack`, { headers: { Authorization: `Bearer not-${TOKEN}` } });
    assert.equal(wrong.status, 401);

    await run('git', ['clone', '-q', server.authUrl('config'), join(scratch, 'cli')], { env });
    assert.equal(readFileSync(join(scratch, 'cli/clusters/dev/cluster.yaml'), 'utf8'), 'kind: Cluster\n');
    assert.ok(!existsSync(join(scratch, 'cli/README.md')), 'a null in commitFiles deletes the file');
    assert.equal((await run('git', ['-C', join(scratch, 'cli'), 'rev-parse', 'HEAD'], { env })).stdout.trim(), second);

    const iso = join(scratch, 'iso');
    const onAuth = (): { username: string; password: string } => ({ username: 'x-access-token', password: TOKEN });
    await git.clone({ fs, http, dir: iso, url: server.url('config'), singleBranch: true, onAuth });
    assert.equal(await git.resolveRef({ fs, dir: iso, ref: 'HEAD' }), second);
    assert.equal(readFileSync(join(iso, 'stacks/web/compose.yaml'), 'utf8'), 'services: {}\n');

    // A gzip-encoded upload-pack request, as git sends when it has many "have" lines.
    const pkt = (line: string): string => `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
    const wants = `${pkt(`want ${second} side-band-64k ofs-delta\n`)}0000${pkt('done\n')}`;
    const packed = await fetch(`${server.url('config')}/git-upload-pack`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        'Content-Type': 'application/x-git-upload-pack-request',
        'Content-Encoding': 'gzip',
      },
      body: gzipSync(wants),
    });
    assert.equal(packed.status, 200);
    const packBody = Buffer.from(await packed.arrayBuffer()).toString('latin1');
    assert.ok(packBody.includes('NAK') && packBody.includes('PACK'), 'a packfile comes back');

    const port = server.port;
    await server.stop();
    await assert.rejects(fetch(server.url('config')), 'nothing listens while stopped');
    const third = await server.commitFiles('config', { 'stacks/web/compose.yaml': 'services: { web: {} }\n' }, 'third');
    await server.start();
    assert.equal(server.port, port, 'the same port after a restart');
    await git.fetch({ fs, http, dir: iso, url: server.url('config'), singleBranch: true, ref: 'main', onAuth });
    assert.equal(await git.resolveRef({ fs, dir: iso, ref: 'refs/remotes/origin/main' }), third);
    assert.ok(server.requests.some((r) => r.status === 200 && r.user === 'x-access-token'), 'requests are logged with their user');

    await pushable.createRepo('pushed');
    const base = await pushable.commitFiles('pushed', { 'a.txt': 'a\n' }, 'base');
    const work = join(scratch, 'push');
    await run('git', ['clone', '-q', pushable.url('pushed'), work], { env });
    await run('git', ['-C', work, 'commit', '-q', '--allow-empty', '-m', 'over http'], { env });
    await run('git', ['-C', work, 'push', '-q', 'origin', 'main'], { env });
    const pushed = await pushable.head('pushed');
    assert.notEqual(pushed, base);
    assert.equal((await run('git', ['-C', work, 'rev-parse', 'HEAD'], { env })).stdout.trim(), pushed);
    await assert.rejects(run('git', ['-C', iso, 'push', '-q', server.authUrl('config'), 'HEAD:refs/heads/x'], { env }), 'push is off by default');
  } finally {
    await server.close();
    await pushable.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  assert.ok(!existsSync(server.root) && !existsSync(pushable.root), 'close() deletes the repositories');
});
