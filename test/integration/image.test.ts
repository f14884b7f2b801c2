// The container image, proven without a registry: a base made from this machine's Node.js,
// the Dockerfile's `prebuilt` target built on a real fleet node through its own socket, and
// the container run on that node as the README says (the node's Docker socket mounted, its
// group added, state on a volume). It must reconcile the example repository's stacks (with
// images that exist here) and turn healthy through the image's own HEALTHCHECK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';
import type { DaemonStatus } from '../../src/reconcile/report/status.js';
import { startFleet, type FleetNode } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { run } from '../support/exec.js';
import { dockerOf } from '../support/fleet-view.js';
import { httpGet, waitFor } from '../support/wait.js';
import { importRootfs, nodeRootfs, stagePrebuiltContext } from './support-ops/image-build.js';

const BASE = 'flotilla-test/node-base:local';
const IMAGE = 'flotilla:test';
const WHOAMI = 'flotilla-test/whoami:local';

const docker = async (node: FleetNode, args: string[], timeoutMs = 120_000): Promise<string> => (await run('docker', ['-H', node.endpoint, ...args], { timeoutMs })).stdout.trim();

// The example shop's API runs `whoami --port 8081` and checks `/whoami --help`: a stand-in
// with the same interface, on the busybox test image.
const WHOAMI_SCRIPT = `#!/bin/sh
[ "$1" = "--help" ] && { echo "usage: whoami --port PORT"; exit 0; }
trap 'exit 0' TERM INT
httpd -f -p "\${2:-80}" -h /www &
wait
`;

async function buildExampleImages(node: FleetNode, scratch: string): Promise<void> {
  // monitoring/node-info runs busybox:1.36 with sh, date, sleep and test: the test image has them.
  await docker(node, ['tag', WEB_HEALTHY, 'busybox:1.36']);
  const dir = join(scratch, 'whoami');
  mkdirSync(dir);
  writeFileSync(join(dir, 'whoami'), WHOAMI_SCRIPT, { mode: 0o755 });
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${WEB_HEALTHY}\nCOPY whoami /whoami\nENTRYPOINT ["/whoami"]\nCMD ["--port", "80"]\nHEALTHCHECK NONE\n`);
  await docker(node, ['build', '-q', '-t', WHOAMI, dir]);
}

/** The example repository as a plain directory, its shop images pointed at images that exist here. */
function exampleConfig(scratch: string): string {
  const dir = join(scratch, 'config');
  cpSync(join(packageRoot(), 'example-repo'), dir, { recursive: true });
  writeFileSync(join(dir, 'stacks/shop/.env'), `WEB_IMAGE=${WEB_HEALTHY}\nAPI_IMAGE=${WHOAMI}\nWEB_PORT=8080\n`);
  return dir;
}

test('the image reconciles the example stacks on a node and turns healthy', async (t) => {
  if (!requireDocker(t)) return;
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const fleet = await startFleet({ nodes: 1, name: 'image' });
  const scratch = mkdtempSync('/tmp/flotilla-image-test-');
  let context: string | undefined;
  let rootfs: string | undefined;
  try {
    const node = fleet.nodes[0] as FleetNode;
    await loadImages(fleet, [WEB_HEALTHY]);
    const [madeRootfs, stagedContext] = await Promise.all([nodeRootfs(), stagePrebuiltContext(), buildExampleImages(node, scratch)]);
    rootfs = madeRootfs;
    context = stagedContext;
    await importRootfs(node.endpoint, madeRootfs, BASE, ['ENV PATH=/usr/local/bin:/usr/bin:/bin']);
    t.diagnostic(`base image and context ready: ${elapsed()}`);
    await docker(node, ['build', '-q', '--target', 'prebuilt', '--build-arg', `NODE_IMAGE=${BASE}`, '-t', IMAGE, '-f', join(stagedContext, 'Dockerfile'), stagedContext], 300_000);
    t.diagnostic(`image built: ${elapsed()}`);

    const config = inspectConfig(await docker(node, ['image', 'inspect', IMAGE]));
    assert.equal(config.User, '10001:10001', 'runs as an unprivileged user');
    assert.deepEqual(Object.keys(config.Volumes ?? {}), ['/var/lib/flotilla']);
    assert.deepEqual(config.Entrypoint, ['node', '/app/bin/flotilla.js', 'run']);
    assert.ok(config.Healthcheck?.Test?.join(' ').includes('/app/healthcheck.mjs'));

    const socketGid = statSync(node.socketPath).gid;
    await docker(node, [
      'run', '-d', '--name', 'flotilla', '--init',
      '-v', `${node.socketPath}:/var/run/docker.sock`, '--group-add', String(socketGid),
      '-v', 'flotilla-state:/var/lib/flotilla',
      '-v', `${exampleConfig(scratch)}:/config:ro`,
      '-e', 'FLOTILLA_REPO=/config', '-e', 'FLOTILLA_INTERVAL=2s',
      '-p', '9797:9797',
      IMAGE,
    ]);
    const logs = async () => docker(node, ['logs', '--tail', '30', 'flotilla']).catch((err: Error) => err.message);

    // A global service's slot is the node's name (`local` in the example cluster).
    const expected = ['monitoring-node-info-local', 'shop-api-1', 'shop-api-2', 'shop-web-1'];
    await waitFor('the example stacks running on the node', async () => {
      const running = (await dockerOf(node).listContainers({ filters: { label: ['flotilla.managed=true'] } })).map((c) => (c.Names[0] ?? '').replace(/^\//, '')).sort();
      return expected.every((name) => running.includes(name)) ? running : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500 }).catch(async (err: Error) => assert.fail(`${err.message}\n--- flotilla logs ---\n${await logs()}`));
    t.diagnostic(`example stacks running: ${elapsed()}`);

    // The commit is good once every replica has stayed healthy through its monitor period.
    const status = await waitFor('every service in sync and the commit good, through the published API', async () => {
      const res = await httpGet(`http://${node.address}:9797/api/v1/status`);
      const s = JSON.parse(res.body) as DaemonStatus;
      return s.services.length === 3 && s.services.every((svc) => svc.inSync) && s.lastGoodRevision ? s : undefined;
    }, { timeoutMs: 60_000 }).catch(async (err: Error) => assert.fail(`${err.message}\n--- flotilla logs ---\n${await logs()}`));
    assert.equal(status.cluster, 'local');
    assert.equal((await httpGet(`http://${node.address}:8080/`)).status, 200, 'the shop answers on its published port');

    await waitFor('the image HEALTHCHECK to report healthy', async () => ((await docker(node, ['inspect', '-f', '{{.State.Health.Status}}', 'flotilla'])) === 'healthy' ? true : undefined), { timeoutMs: 60_000, intervalMs: 1_000 });
    t.diagnostic(`container healthy: ${elapsed()}`);
    const output = await docker(node, ['logs', 'flotilla']);
    assert.match(output, /"msg":"flotilla is running"/);
    assert.doesNotMatch(output, /"level":(50|60)/, 'no error was logged');
  } finally {
    await fleet.stop();
    rmSync(scratch, { recursive: true, force: true });
    if (context) rmSync(context, { recursive: true, force: true });
    if (rootfs) rmSync(rootfs, { recursive: true, force: true });
  }
});

interface ImageConfig {
  User?: string;
  Volumes?: Record<string, unknown>;
  Entrypoint?: string[];
  Healthcheck?: { Test?: string[] };
}

function inspectConfig(json: string): ImageConfig {
  const [image] = JSON.parse(json) as Array<{ Config: ImageConfig }>;
  if (!image) throw new Error('docker image inspect returned nothing');
  return image.Config;
}
