// Removals in parallel on a real node: a service of five replicas whose process ignores
// SIGTERM (so each stop waits its full 10 s grace period before Docker kills it) is scaled
// 5 -> 1, then pruned from Git. One after another that took four (then five) grace periods;
// in parallel it takes one, plus the Docker calls around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startFleet } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, type ClusterConfig } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { serviceContainers } from '../support/fleet-view.js';

const GRACE_S = 10;
/** Slack over one grace period for the list, stop and remove calls and Docker's SIGKILL. */
const SLACK_S = 5;

function stubbornStack(replicas: number): Record<string, unknown> {
  return {
    services: {
      stubborn: {
        image: WEB_HEALTHY,
        // PID 1 ignores SIGTERM outright, and the sleep it runs inherits that: only SIGKILL ends it.
        command: ['sh', '-c', 'trap "" TERM; sleep 1000'],
        healthcheck: { disable: true },
        stop_grace_period: `${GRACE_S}s`,
        deploy: { replicas, update_config: { parallelism: 0, monitor: '1s' } },
      },
    },
  };
}

test('stops and removals run in parallel: five SIGTERM-ignoring replicas go within one grace period', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 1, name: 'parallel-stops' });
  const git = await startGitServer();
  let closeFlotilla = (): void => undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const config: ClusterConfig = { name: 'stops', nodes: fleetClusterNodes(fleet), stacks: { hold: stubbornStack(5) } };
    const { repo } = await ConfigRepo.create(git, 'config', config);
    const flotilla = await startInProcess({ repoUrl: repo.url });
    closeFlotilla = flotilla.close;
    const running = async (): Promise<string[]> => (await serviceContainers(fleet, 'hold', 'stubborn')).filter((c) => c.state === 'running').map((c) => c.name);

    await reconcileExpecting(flotilla, 'success');
    assert.equal((await running()).length, 5);

    await t.test('scaling 5 -> 1 takes one grace period, not four', async () => {
      await repo.update((c) => (c.stacks.hold = stubbornStack(1)), 'scale to 1');
      const since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      const tookS = (performance.now() - since) / 1000;
      t.diagnostic(`scale-down 5 -> 1 of SIGTERM-ignoring replicas (grace ${GRACE_S} s): ${tookS.toFixed(2)} s (one after another: ${4 * GRACE_S}+ s)`);
      assert.deepEqual(await running(), ['hold-stubborn-1']);
      assert.equal((await serviceContainers(fleet, 'hold', 'stubborn')).length, 1, 'the surplus containers are removed, not just stopped');
      assert.ok(tookS >= GRACE_S - 0.5, `${tookS.toFixed(2)} s: the stops did wait for the grace period (the process really ignores SIGTERM)`);
      assert.ok(tookS < GRACE_S + SLACK_S, `${tookS.toFixed(2)} s is over one grace period plus ${SLACK_S} s`);
    });

    await t.test('pruning a removed stack of five replicas takes one grace period', async () => {
      await repo.update((c) => (c.stacks.hold = stubbornStack(5)), 'scale to 5');
      await reconcileExpecting(flotilla, 'success');
      assert.equal((await running()).length, 5);
      await repo.update((c) => (c.stacks = {}), 'remove the stack');
      const since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      const tookS = (performance.now() - since) / 1000;
      t.diagnostic(`prune of 5 SIGTERM-ignoring replicas: ${tookS.toFixed(2)} s (one after another: ${5 * GRACE_S}+ s)`);
      assert.deepEqual(await serviceContainers(fleet, 'hold', 'stubborn'), []);
      assert.ok(tookS < GRACE_S + SLACK_S, `${tookS.toFixed(2)} s is over one grace period plus ${SLACK_S} s`);
    });
  } finally {
    closeFlotilla();
    await git.close();
    await fleet.stop();
  }
});
