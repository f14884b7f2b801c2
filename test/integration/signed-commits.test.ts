// Signed commits on a real fleet node, through a real Git server: commits signed by the real
// git (with keys made by gpg and ssh-keygen) are applied; an unsigned commit, one signed by a
// key nobody trusts, and an unsigned commit that switches verification off are not (result
// `untrusted`, status, metric, one notification) and the node keeps running the last applied
// commit. The operator's --verify-signatures holds even when cluster.yaml says nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import type { FleetEvent } from '../../src/notify/types.js';
import { clusterFiles, fleetClusterNodes, webStack, type SyncPolicy } from '../support/config-repo.js';
import { serviceContainers } from '../support/fleet-view.js';
import { startFleet } from '../support/fleet.js';
import { metricValue, reconcileExpecting, startInProcess, type InProcessFlotilla } from '../support/flotilla.js';
import { startGitServer } from '../support/git-server.js';
import { loadImages, WEB_HEALTHY, WEB_V2 } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { makeGpgKey, makeSshKey } from '../support/signing.js';

const TOKEN = 'signed-token';

test('only signed commits reach a cluster that verifies signatures', async (t) => {
  if (!requireDocker(t)) return;
  const keysDir = mkdtempSync('/tmp/flotilla-keys-');
  const fleet = await startFleet({ nodes: 1, name: 'signed-commits' });
  const git = await startGitServer({ token: TOKEN });
  const started: InProcessFlotilla[] = [];
  try {
    await loadImages(fleet, [WEB_HEALTHY, WEB_V2]);
    const [alice, bob, mallory] = await Promise.all([makeGpgKey(keysDir, 'alice@example.com'), makeSshKey(keysDir, 'bob@example.com'), makeGpgKey(keysDir, 'mallory@example.com')]);
    const trusted: SyncPolicy = { verifySignatures: { keys: [alice.trustFile, bob.trustFile] } };
    const files = (cluster: string, port: number, image: string, sync: SyncPolicy): Record<string, string> =>
      clusterFiles({ name: cluster, nodes: fleetClusterNodes(fleet), stacks: { [`${cluster}-shop`]: webStack({ web: { image, port } }) }, sync });
    const commitOf = async (cluster: string): Promise<string | undefined> => (await serviceContainers(fleet, `${cluster}-shop`, 'web'))[0]?.labels['flotilla.commit'];

    await git.createRepo('config');
    const first = await git.commitFiles('config', files('it', 18280, WEB_HEALTHY, trusted), 'signed by alice (gpg)', { gitConfig: alice.gitConfig });
    const events: FleetEvent[] = [];
    const flotilla = await startInProcess({ repoUrl: git.url('config'), token: TOKEN, clusterPath: 'clusters/it', notifier: { notify: (e) => events.push(e) } });
    started.push(flotilla);

    await t.test('a gpg-signed commit is applied', async () => {
      await reconcileExpecting(flotilla, 'success');
      assert.equal(flotilla.status().appliedRevision, first);
      assert.equal(await commitOf('it'), first);
    });

    await t.test('an unsigned commit is not applied: untrusted in status, metrics and one notification', async () => {
      const unsigned = await git.commitFiles('config', files('it', 18280, WEB_V2, trusted), 'unsigned: v2');
      await reconcileExpecting(flotilla, 'untrusted');
      const status = flotilla.status();
      assert.equal(status.trackedRevision, unsigned);
      assert.equal(status.appliedRevision, first);
      assert.equal(status.phase, 'stalled');
      assert.equal(status.lastError?.code, 'UNTRUSTED_COMMIT');
      assert.match(status.lastError?.message ?? '', /is not applied: the commit is not signed/);
      assert.equal(await commitOf('it'), first, 'the node still runs the signed commit');
      assert.equal(metricValue(await flotilla.app.metrics.registry.metrics(), 'flotilla_reconcile_total', { result: 'untrusted' }), 1);
      const untrusted = events.filter((e) => e.type === 'untrusted');
      assert.equal(untrusted.length, 1);
      assert.equal(untrusted[0]?.revision, unsigned);
      assert.match(untrusted[0]?.message ?? '', /stays on/);
      // The next poll refuses it again, without a second notification.
      await reconcileExpecting(flotilla, 'untrusted');
      assert.equal(events.filter((e) => e.type === 'untrusted').length, 1);
    });

    await t.test('a commit signed by a key that is not trusted is refused, naming its key id', async () => {
      await git.commitFiles('config', files('it', 18280, WEB_V2, trusted), 'signed by mallory', { gitConfig: mallory.gitConfig });
      await reconcileExpecting(flotilla, 'untrusted');
      assert.match(flotilla.status().lastError?.message ?? '', /OpenPGP signature \(key [0-9A-F]{16}\) is not made by a trusted key/);
      assert.equal(await commitOf('it'), first);
    });

    await t.test('an unsigned commit cannot switch verification off', async () => {
      await git.commitFiles('config', files('it', 18280, WEB_V2, {}), 'unsigned: verification off');
      await reconcileExpecting(flotilla, 'untrusted');
      assert.equal(flotilla.status().appliedRevision, first);
    });

    await t.test('an SSH-signed commit is applied and clears the error', async () => {
      const signed = await git.commitFiles('config', files('it', 18280, WEB_V2, trusted), 'signed by bob (ssh): v2', { gitConfig: bob.gitConfig });
      await reconcileExpecting(flotilla, 'success');
      assert.equal(flotilla.status().appliedRevision, signed);
      assert.equal(await commitOf('it'), signed);
      assert.equal(flotilla.status().lastError, undefined);
    });

    await t.test('--verify-signatures applies when cluster.yaml says nothing, from the first commit on', async () => {
      await git.createRepo('ops');
      const unsigned = await git.commitFiles('ops', files('ops', 18281, WEB_HEALTHY, {}), 'unsigned first commit');
      const ops = await startInProcess({ repoUrl: git.url('ops'), token: TOKEN, clusterPath: 'clusters/ops', verifySignatures: [alice.trustFile] });
      started.push(ops);
      // Nothing runs yet, so there is nothing to stay on: the reconcile fails and deploys nothing.
      await reconcileExpecting(ops, 'untrusted');
      assert.equal(ops.status().lastError?.code, 'UNTRUSTED_COMMIT');
      assert.equal(ops.status().trackedRevision, unsigned);
      assert.equal(await commitOf('ops'), undefined, 'nothing of the unsigned commit was deployed');
      const signed = await git.commitFiles('ops', files('ops', 18281, WEB_HEALTHY, {}), 'signed by alice', { gitConfig: alice.gitConfig });
      await reconcileExpecting(ops, 'success');
      assert.equal(await commitOf('ops'), signed);
    });
  } finally {
    for (const f of started) f.close();
    await git.close();
    await fleet.stop();
    rmSync(keysDir, { recursive: true, force: true });
  }
});
