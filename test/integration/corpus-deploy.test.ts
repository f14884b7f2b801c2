// The corpus of realistic Compose projects (test/fixtures/corpus/) deployed unchanged on a
// real two-node fleet: every file byte for byte as written, only the images are a local
// stand-in tagged with the names the files use (no registry is reachable here). Each
// service must run all its replicas, and be `healthy` where the file declares a
// healthcheck. The share that deploys is printed, and must be all of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { startFleet, type Fleet } from '../support/fleet.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { fleetClusterNodes } from '../support/config-repo.js';
import type { FileChanges } from '../support/git-workcopy.js';
import { startInProcess } from '../support/flotilla.js';
import { dockerOf, serviceContainers } from '../support/fleet-view.js';
import { loadStandin } from '../support/standin-image.js';
import { FIXTURES, memoryReader } from '../unit/manifests/support.js';
import { loadDesiredState } from '../../src/manifests/load.js';
import type { StackSpec } from '../../src/manifests/model.js';

const CORPUS = join(FIXTURES, 'corpus');
const DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * Two rounds, because three projects publish host port 80 and a port is taken once per
 * node: each round is one commit, and the second replaces the first (prune).
 */
const ROUNDS = [
  ['webapp-proxy-postgres', 'wordpress-mariadb', 'monitoring', 'queue-worker'],
  ['traefik-proxy', 'blog-include-extends'],
];

/** Host features the corpus uses (node-exporter reads /proc and /sys, traefik the engine's socket): the cluster allows them. */
const POLICY = { allowBindMounts: ['/proc', '/sys', DOCKER_SOCKET] };

function filesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesOf(path) : [path];
  });
}

/** The repo files of one corpus project, unchanged, under stacks/<name>/. */
function stackFiles(name: string): Record<string, string> {
  const dir = join(CORPUS, name);
  return Object.fromEntries(filesOf(dir).map((file) => [`stacks/${name}/${relative(dir, file)}`, readFileSync(file, 'utf8')]));
}

function imagesOf(files: Record<string, string>): string[] {
  const images = new Set<string>();
  for (const [path, text] of Object.entries(files)) {
    if (!/\.ya?ml$/.test(path)) continue;
    for (const match of text.matchAll(/^\s*image:\s*["']?([^\s"'#]+)/gm)) images.add(match[1] as string);
  }
  return [...images].sort();
}

function clusterFile(fleet: Fleet, stacks: readonly string[]): string {
  return stringify({
    apiVersion: 'flotilla/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'corpus' },
    spec: {
      nodes: fleetClusterNodes(fleet),
      stacks: stacks.map((name) => ({ name, compose: `stacks/${name}/compose.yaml` })),
      sync: { prune: true, selfHeal: true, revert: false },
      policy: POLICY,
    },
  });
}

/** What is wrong with a deployed stack on the fleet, read from the nodes' own Docker APIs; empty when nothing is. */
async function defects(fleet: Fleet, stack: StackSpec): Promise<string[]> {
  const found: string[] = [];
  for (const service of stack.services) {
    const containers = (await serviceContainers(fleet, stack.name, service.name)).filter((c) => c.state === 'running');
    const wanted = service.deploy.mode === 'global' ? fleet.nodes.length : service.deploy.replicas;
    if (containers.length !== wanted) found.push(`${stack.name}/${service.name}: ${containers.length} of ${wanted} replicas running`);
    if (!service.healthcheck || service.healthcheck.test[0] === 'NONE') continue;
    for (const c of containers) {
      const info = await dockerOf(fleet.node(c.node)).getContainer(c.id).inspect();
      if (info.State.Health?.Status !== 'healthy') found.push(`${stack.name}/${service.name}: ${c.name} on ${c.node} is ${info.State.Health?.Status ?? 'without health'}`);
    }
  }
  return found;
}

test('the corpus deploys unchanged on a real fleet: every replica running, healthy where a healthcheck is declared', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 2, name: 'corpus' });
  const git = await startGitServer();
  let madeSocketLink = false;
  let closeFlotilla = (): void => undefined;
  try {
    const entries = ROUNDS.flat();
    assert.deepEqual([...entries].sort(), readdirSync(CORPUS).filter((e) => statSync(join(CORPUS, e)).isDirectory()).sort(), 'every corpus project is deployed');
    const files = Object.fromEntries(entries.map((name) => [name, stackFiles(name)]));
    const images = imagesOf(Object.assign({}, ...Object.values(files)));
    await Promise.all(fleet.nodes.map((node) => loadStandin(node.socketPath, images)));
    // A real node's engine listens at /var/run/docker.sock, which traefik mounts; these test
    // nodes listen elsewhere, so for this run the path leads to node-a's engine.
    if (!existsSync(DOCKER_SOCKET)) {
      // A link left dangling by an interrupted run points nowhere: replacing it loses nothing.
      if (lstatSync(DOCKER_SOCKET, { throwIfNoEntry: false })?.isSymbolicLink()) unlinkSync(DOCKER_SOCKET);
      symlinkSync(fleet.nodes[0]!.socketPath, DOCKER_SOCKET);
      madeSocketLink = true;
    }
    await git.createRepo('config');
    const outcome = new Map<string, string[]>();
    let previous: FileChanges = {};
    let flotilla: Awaited<ReturnType<typeof startInProcess>> | undefined;
    for (const round of ROUNDS) {
      const changes: FileChanges = Object.fromEntries(Object.keys(previous).map((path) => [path, null]));
      Object.assign(changes, ...round.map((name) => files[name]), { 'clusters/corpus/cluster.yaml': clusterFile(fleet, round) });
      await git.commitFiles('config', changes, `deploy ${round.join(', ')}`);
      previous = Object.assign({}, ...round.map((name) => files[name]));
      if (!flotilla) {
        flotilla = await startInProcess({ repoUrl: git.url('config') });
        closeFlotilla = flotilla.close;
      }
      const started = Date.now();
      // One reconcile: the old stacks' containers that hold port 80 are removed just before the new ones start.
      const result = await flotilla.reconcile();
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const desired = await loadDesiredState(memoryReader({ ...Object.assign({}, ...round.map((name) => files[name])), 'clusters/corpus/cluster.yaml': clusterFile(fleet, round) }), 'clusters/corpus');
      assert.deepEqual(desired.problems, []);
      for (const stack of desired.state?.stacks ?? []) {
        const wrong = await defects(fleet, stack);
        if (result !== 'success') wrong.unshift(`reconcile ended ${result}: ${JSON.stringify(flotilla.status().lastError ?? null)}`);
        outcome.set(stack.name, wrong);
      }
      t.diagnostic(`round ${round.join(', ')}: reconcile ${result} in ${seconds}s`);
    }
    const deployed = entries.filter((name) => outcome.get(name)?.length === 0);
    const summary = `corpus deployed unchanged: ${deployed.length}/${entries.length} (${entries.map((n) => `${n} ${outcome.get(n)?.length === 0 ? 'ok' : 'FAILED'}`).join(', ')})`;
    t.diagnostic(summary);
    console.log(summary);
    assert.deepEqual(Object.fromEntries(entries.map((n) => [n, outcome.get(n)])), Object.fromEntries(entries.map((n) => [n, []])));
  } finally {
    closeFlotilla();
    if (madeSocketLink && lstatSync(DOCKER_SOCKET, { throwIfNoEntry: false })?.isSymbolicLink() && readlinkSync(DOCKER_SOCKET) === fleet.nodes[0]!.socketPath) unlinkSync(DOCKER_SOCKET);
    await git.close();
    await fleet.stop();
  }
});
