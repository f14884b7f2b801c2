// Configs, secrets and repo bind mounts on a real node: an httpd stack serves the page its
// repo file says, a commit that changes only that file rolls the service, and a secret
// appears at /run/secrets/<name> with its mode and owner but nowhere in `docker inspect`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { dockerCli, serviceContainers, webBody } from '../support/fleet-view.js';
import { httpGet } from '../support/wait.js';

const PORT = 18481;
const SECRET = 'pg-pass-7f3a9c-never-in-inspect';

test('repo files are served, a file-only commit rolls the service, a secret sits at /run/secrets only', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 1, name: 'configs-secrets' });
  const git = await startGitServer();
  let closeFlotilla = (): void => undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const web = {
      ...webService({ replicas: 1, port: PORT }),
      volumes: ['./site/index.html:/www/index.html:ro', './static:/www/static'],
      configs: [{ source: 'banner', target: '/etc/banner' }],
      secrets: [{ source: 'db_password', mode: '0440', uid: '1000', gid: '1000' }],
    };
    const stack = { services: { web }, configs: { banner: { content: 'welcome' } }, secrets: { db_password: { file: './db_password.txt' } } };
    const config: ClusterConfig = { name: 'files', nodes: fleetClusterNodes(fleet), stacks: { site: stack } };
    const { repo } = await ConfigRepo.create(git, 'config', config);
    const files = { 'stacks/site/site/index.html': 'page v1 from git', 'stacks/site/static/css/app.css': 'body{}', 'stacks/site/db_password.txt': SECRET };
    await repo.commit(config, 'site files', files);
    const flotilla = await startInProcess({ repoUrl: repo.url });
    closeFlotilla = flotilla.close;
    await reconcileExpecting(flotilla, 'success');

    const [first] = await serviceContainers(fleet, 'site', 'web');
    assert.ok(first, 'the replica runs');
    const node = fleet.node(first.node);
    assert.equal(await webBody(node, PORT), 'page v1 from git');
    assert.equal((await httpGet(`http://${node.address}:${PORT}/static/css/app.css`)).body, 'body{}', 'a folder is delivered with its subfolders');
    assert.equal(await dockerCli(node, ['exec', first.id, 'cat', '/etc/banner']), 'welcome');
    assert.equal(await dockerCli(node, ['exec', first.id, 'cat', '/run/secrets/db_password']), SECRET);
    // The image's busybox has no stat; ls -ln shows mode and numeric owner.
    assert.match(await dockerCli(node, ['exec', first.id, 'ls', '-ln', '/run/secrets/db_password']), /^-r--r----- +1 1000 +1000 /);
    assert.match(await dockerCli(node, ['exec', first.id, 'ls', '-ln', '/www/index.html']), /^-r--r--r-- +1 0 +0 /);
    // Nothing of the secret in what the Engine reports about the container: labels, env, config, mounts.
    const inspect = await dockerCli(node, ['inspect', first.id]);
    assert.ok(!inspect.includes(SECRET), 'the secret is not in docker inspect');
    assert.ok(!inspect.includes(Buffer.from(SECRET).toString('base64')), 'not even in base64');
    const labels = JSON.parse(await dockerCli(node, ['inspect', '-f', '{{json .Config.Labels}}', first.id])) as Record<string, string>;
    assert.deepEqual(Object.keys(JSON.parse(labels['flotilla.files'] as string) as object).sort(), ['config banner', 'config stacks/site/site/index.html', 'config stacks/site/static', 'secret db_password']);
    // An unchanged commit leaves the replica alone.
    await reconcileExpecting(flotilla, 'unchanged');

    // ConfigRepo deletes files a commit does not name, so the others are named again, unchanged.
    await repo.commit(config, 'only the page changes', { ...files, 'stacks/site/site/index.html': 'page v2 from git' });
    await reconcileExpecting(flotilla, 'success');
    const [second] = await serviceContainers(fleet, 'site', 'web');
    assert.ok(second);
    assert.notEqual(second.id, first.id, 'the file change replaced the replica');
    assert.equal(await webBody(node, PORT), 'page v2 from git');
    assert.equal(await dockerCli(node, ['exec', second.id, 'cat', '/run/secrets/db_password']), SECRET, 'the secret comes along');
  } finally {
    closeFlotilla();
    await git.close();
    await fleet.stop();
  }
});
