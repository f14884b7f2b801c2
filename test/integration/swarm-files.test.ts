// Configs and secrets on a real one-manager-two-worker swarm: a config file and a repo file
// bind-mounted by a relative path become Swarm configs, an age-encrypted secret (sealed by
// the real `age` CLI) a Swarm secret at /run/secrets/<name> on the task's tmpfs. A commit
// that changes only the config file plans as `config app.conf changed`, rolls the service,
// and the new task reads the new content; the old config object is deleted after the roll.
// A failed rollout that also changed the file is reverted to the old content, whose object
// was deleted and is made again. The clear secret is in no service label, env or spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { requireDocker } from '../support/requirements.js';
import { startSwarm, type TestSwarm } from '../support/swarm.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, webService, type ClusterConfig } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { WEB_HEALTHY, WEB_UNHEALTHY } from '../support/images.js';
import { waitFor } from '../support/wait.js';
import { readAgeKeyFiles } from '../../src/manifests/secrets/age-identities.js';
import { main } from '../../src/cli/main.js';
import type { CommandIO } from '../../src/cli/io.js';

const PASSWORD = 'swarm-pass-41f7-only-in-task';
const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** The running task's container of a one-replica service: on which node, and its ID. */
async function taskContainer(swarm: TestSwarm, service: string): Promise<{ node: TestSwarm['manager']; id: string }> {
  return waitFor(`a running task of ${service}`, async () => {
    const line = (await swarm.docker(['service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}'])).split('\n').find((l) => / Running /.test(l));
    if (!line) return undefined;
    const node = swarm.fleet.node(line.split(' ')[0] as string);
    const id = await swarm.docker(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${service}`], node);
    return id ? { node, id: id.split('\n')[0] as string } : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
}

async function readInTask(swarm: TestSwarm, service: string, path: string): Promise<string> {
  const { node, id } = await taskContainer(swarm, service);
  return swarm.docker(['exec', id, 'cat', path], node);
}

async function configNames(swarm: TestSwarm): Promise<string[]> {
  return (await swarm.docker(['config', 'ls', '--format', '{{.Name}}'])).split('\n').filter(Boolean).sort();
}

test('engine swarm: configs, repo files and an age-encrypted secret as Swarm objects, rolled by content', async (t) => {
  if (!requireDocker(t)) return;
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'flotilla-swarm-files-'));
  const keyFile = join(work, 'age.txt');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
  const recipient = execFileSync('age-keygen', ['-y', keyFile]).toString().trim();
  const sealed = execFileSync('age', ['-a', '-r', recipient], { input: PASSWORD }).toString();

  const swarm = await startSwarm('swarm-files');
  const git = await startGitServer();
  let closeFlotilla = (): void => undefined;
  try {
    t.diagnostic(`swarm of 3 up in ${seconds(started)}`);
    const config = (image: string): ClusterConfig => ({
      name: 'swf',
      swarm: { manager: [swarm.managerEndpoint] },
      nodes: swarm.fleet.nodes.map((n) => ({ name: n.name })),
      stacks: {
        app: {
          services: {
            web: { ...webService({ image, replicas: 1 }), configs: [{ source: 'app.conf', target: '/etc/app.conf' }], secrets: ['db_password'], volumes: ['./motd.txt:/etc/motd:ro'] },
          },
          configs: { 'app.conf': { file: './app.conf' } },
          secrets: { db_password: { file: './db_password.age' } },
        },
      },
    });
    const files = (appConf: string) => ({ 'stacks/app/app.conf': appConf, 'stacks/app/motd.txt': 'welcome\n', 'stacks/app/db_password.age': sealed });
    const { repo } = await ConfigRepo.create(git, 'config', config(WEB_HEALTHY));
    await repo.commit(config(WEB_HEALTHY), 'web with a config, a repo file and a secret', files('gen=1\n'));
    const flotilla = await startInProcess({ repoUrl: repo.url, ageKeys: readAgeKeyFiles([keyFile]) });
    closeFlotilla = flotilla.close;

    await t.test('the task reads the config, the repo file and the decrypted secret; no spec holds the secret', async () => {
      const since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      t.diagnostic(`initial converge ${seconds(since)}`);
      assert.equal(await readInTask(swarm, 'app_web', '/etc/app.conf'), 'gen=1');
      assert.equal(await readInTask(swarm, 'app_web', '/etc/motd'), 'welcome');
      assert.equal(await readInTask(swarm, 'app_web', '/run/secrets/db_password'), PASSWORD);
      const { node, id } = await taskContainer(swarm, 'app_web');
      const mounts = await swarm.docker(['exec', id, 'cat', '/proc/mounts'], node);
      assert.match(mounts, /^tmpfs \/run\/secrets\/db_password tmpfs /m, 'Swarm mounts the secret from a tmpfs');
      const spec = await swarm.docker(['service', 'inspect', 'app_web']);
      assert.ok(!spec.includes(PASSWORD), 'the service spec (labels, env, references) holds no clear secret');
      assert.ok(!(await swarm.docker(['inspect', id], node)).includes(PASSWORD), 'nor does the task container');
      const secrets = (await swarm.docker(['secret', 'ls', '--format', '{{.Name}}'])).split('\n');
      assert.equal(secrets.length, 1);
      assert.match(secrets[0] ?? '', /^app_db_password-[0-9a-f]{10}$/);
      assert.equal((await configNames(swarm)).length, 2);
      await reconcileExpecting(flotilla, 'unchanged');
    });

    await t.test('a commit that changes only the config file rolls the service; the old config object is deleted', async () => {
      const before = await configNames(swarm);
      const firstTask = (await taskContainer(swarm, 'app_web')).id;
      await repo.commit(config(WEB_HEALTHY), 'app.conf gen 2', files('gen=2\n'));
      const lines: string[] = [];
      const io: CommandIO = { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {} };
      assert.equal(await main(['plan', '--repo', repo.url, '--state-dir', flotilla.stateDir, '--age-key-file', keyFile, '--detailed-exitcode'], io), 2, lines.join('\n'));
      const plan = lines.join('\n');
      assert.match(plan, /config app\.conf changed/);
      assert.doesNotMatch(plan, /secret db_password changed|config stacks\/app\/motd\.txt changed/);
      assert.ok(!plan.includes(PASSWORD));
      const since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      t.diagnostic(`config roll ${seconds(since)}`);
      assert.equal(await readInTask(swarm, 'app_web', '/etc/app.conf'), 'gen=2');
      assert.notEqual((await taskContainer(swarm, 'app_web')).id, firstTask, 'a new task');
      const after = await configNames(swarm);
      const old = before.filter((n) => n.startsWith('app_app.conf-'));
      assert.equal(old.length, 1);
      assert.ok(!after.includes(old[0] as string), `the old object ${old[0]} is deleted (left: ${after.join(', ')})`);
      assert.equal(after.length, 2);
    });

    await t.test('a failed rollout that changed the file is reverted; the deleted object of the good commit is made again', async () => {
      const good = flotilla.status().lastGoodRevision;
      const gen2 = (await configNames(swarm)).find((n) => n.startsWith('app_app.conf-'));
      const bad = await repo.commit(config(WEB_UNHEALTHY), 'unhealthy web with app.conf gen 3', files('gen=3\n'));
      const since = performance.now();
      await reconcileExpecting(flotilla, 'reverted');
      t.diagnostic(`failed rollout and revert ${seconds(since)}`);
      assert.ok(flotilla.status().quarantined.some((q) => q.revision === bad));
      assert.equal(flotilla.status().appliedRevision, good);
      assert.equal(await readInTask(swarm, 'app_web', '/etc/app.conf'), 'gen=2');
      const names = await configNames(swarm);
      assert.ok(gen2 && names.includes(gen2), `the good commit's object is there again (${names.join(', ')})`);
      assert.equal(await readInTask(swarm, 'app_web', '/run/secrets/db_password'), PASSWORD);
    });
  } finally {
    closeFlotilla();
    await git.close();
    await swarm.stop();
    rmSync(work, { recursive: true, force: true });
    t.diagnostic(`whole test ${seconds(started)}`);
  }
});
