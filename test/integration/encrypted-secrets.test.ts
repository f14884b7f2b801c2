// Secrets committed encrypted, on a real node: a database-style service reads its password
// from /run/secrets/db_password, whose file is age-encrypted in Git (by the real `age` CLI),
// and a variable from an env_file encrypted by the real sops (test/fixtures/sops). The clear
// values exist only inside the container; labels, status, state files and plans never hold
// them, and a commit that changes only an encrypted value rolls the service and plans as
// `<secret changed>`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { dockerCli, serviceContainers } from '../support/fleet-view.js';
import { readAgeKeyFiles } from '../../src/manifests/secrets/age-identities.js';
import { main } from '../../src/cli/main.js';
import type { CommandIO } from '../../src/cli/io.js';
import { FIXTURES } from '../unit/manifests/support.js';

const DB_PASSWORD = 'pg-pass-5b1e-only-in-container';
const DOTENV_PASS = 'dotenv-pass-93c1';
const SOPS_VALUE = 'this is a secret';

test('an age-encrypted secret file and a SOPS env_file are clear only inside the container', async (t) => {
  if (!requireDocker(t)) return;
  const work = mkdtempSync(join(tmpdir(), 'flotilla-enc-'));
  const keyFile = join(work, 'keys.txt');
  execFileSync('age-keygen', ['-o', join(work, 'own.txt')], { stdio: 'pipe' });
  // One key file, two identities: the operator's own and the one the sops fixtures were made for.
  writeFileSync(keyFile, readFileSync(join(work, 'own.txt'), 'utf8') + readFileSync(join(FIXTURES, 'sops', 'key.txt'), 'utf8'), { mode: 0o600 });
  const recipient = execFileSync('age-keygen', ['-y', join(work, 'own.txt')]).toString().trim();
  const seal = (plain: string): string => execFileSync('age', ['-a', '-r', recipient], { input: plain }).toString();

  const fleet = await startFleet({ nodes: 1, name: 'encrypted-secrets' });
  const git = await startGitServer();
  let closeFlotilla = (): void => undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const db = {
      ...webService({ replicas: 1, environment: { PGUSER: 'app', DB_URL: 'postgres://app:${DB_PASS}@db/app' } }),
      env_file: ['./db.enc.env'],
      secrets: ['db_password'],
    };
    const stack = { services: { db }, secrets: { db_password: { file: './db_password.age' } } };
    const config: ClusterConfig = { name: 'enc', nodes: fleetClusterNodes(fleet), stacks: { data: stack } };
    const { repo } = await ConfigRepo.create(git, 'config', config);
    const files = {
      'stacks/data/db_password.age': seal(DB_PASSWORD),
      'stacks/data/.env': seal(`DB_PASS=${DOTENV_PASS}\n`),
      'stacks/data/db.enc.env': readFileSync(join(FIXTURES, 'sops', 'secret.enc.env'), 'utf8'),
    };
    await repo.commit(config, 'encrypted db secrets', files);

    const lines: string[] = [];
    const io: CommandIO = { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {} };
    // The config repo's CI has no keys: valid, with a warning per encrypted file.
    assert.equal(await main(['validate', '--repo', repo.url, '--state-dir', join(work, 'ci')], io), 0, lines.join('\n'));
    assert.equal(lines.filter((l) => /warning: .* is encrypted .* no age identity/.test(l)).length, 3, lines.join('\n'));

    const flotilla = await startInProcess({ repoUrl: repo.url, ageKeys: readAgeKeyFiles([keyFile]) });
    closeFlotilla = flotilla.close;
    await reconcileExpecting(flotilla, 'success');
    const [first] = await serviceContainers(fleet, 'data', 'db');
    assert.ok(first, 'the replica runs');
    const node = fleet.node(first.node);
    assert.equal(await dockerCli(node, ['exec', first.id, 'cat', '/run/secrets/db_password']), DB_PASSWORD);
    assert.equal(await dockerCli(node, ['exec', first.id, 'sh', '-c', 'printf %s "$secret"']), `"${SOPS_VALUE}"`, 'the SOPS env_file value, as sops stored it');
    assert.equal(await dockerCli(node, ['exec', first.id, 'sh', '-c', 'printf %s "$DB_URL"']), `postgres://app:${DOTENV_PASS}@db/app`);

    const inspect = await dockerCli(node, ['inspect', first.id]);
    assert.ok(!inspect.includes(DB_PASSWORD), 'the secret file is not in docker inspect');
    const labels = JSON.stringify(JSON.parse(await dockerCli(node, ['inspect', '-f', '{{json .Config.Labels}}', first.id])));
    for (const value of [DB_PASSWORD, DOTENV_PASS, SOPS_VALUE]) assert.ok(!labels.includes(value), `labels do not hold ${value}`);
    assert.deepEqual(Object.keys(JSON.parse((JSON.parse(labels) as Record<string, string>)['flotilla.sealed-env'] as string) as object), ['DB_URL', 'secret']);
    const status = JSON.stringify(flotilla.status());
    const stateFiles = readdirSync(flotilla.stateDir).filter((f) => f.endsWith('.json')).map((f) => readFileSync(join(flotilla.stateDir, f), 'utf8')).join('\n');
    assert.match(stateFiles, /last good|lastGood|"revision"/, 'the state files were written');
    for (const value of [DB_PASSWORD, DOTENV_PASS, SOPS_VALUE]) {
      assert.ok(!status.includes(value), `status does not hold ${value}`);
      assert.ok(!stateFiles.includes(value), `state.json and the last-good snapshot do not hold ${value}`);
    }
    await reconcileExpecting(flotilla, 'unchanged');

    // Only the encrypted .env changes: the plan names the variable, not the value, and the replica rolls.
    await repo.commit(config, 'rotate the dotenv password', { ...files, 'stacks/data/.env': seal('DB_PASS=rotated-7d2\n') });
    lines.length = 0;
    const planExit = await main(['plan', '--repo', repo.url, '--state-dir', flotilla.stateDir, '--age-key-file', keyFile, '--detailed-exitcode'], io);
    const plan = lines.join('\n');
    assert.equal(planExit, 2, plan);
    assert.match(plan, /env DB_URL <secret changed>/);
    assert.ok(!plan.includes('rotated-7d2') && !plan.includes(DOTENV_PASS), 'the plan holds no value');
    await reconcileExpecting(flotilla, 'success');
    const [second] = await serviceContainers(fleet, 'data', 'db');
    assert.ok(second && second.id !== first.id, 'the changed secret replaced the replica');
    assert.equal(await dockerCli(node, ['exec', second.id, 'sh', '-c', 'printf %s "$DB_URL"']), 'postgres://app:rotated-7d2@db/app');
    assert.equal(await dockerCli(node, ['exec', second.id, 'cat', '/run/secrets/db_password']), DB_PASSWORD, 'the secret file comes along');
  } finally {
    closeFlotilla();
    await git.close();
    await fleet.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
