// The gate of a one-shot job's container (a service another one depends on with
// `condition: service_completed_successfully`): it passes when the container exits with
// code 0, fails at once on any other exit, and fails when it has not exited by the
// service's health deadline (the same bound a long-running replica gets to turn healthy).
import type { Clock } from '../clock.js';
import type { DockerNode } from '../docker/types.js';
import { healthDeadlineMs, type HealthGateOptions, type HealthVerdict } from './replica-health.js';

export async function waitUntilCompleted(node: DockerNode, containerId: string, options: HealthGateOptions, clock: Clock, signal?: AbortSignal): Promise<HealthVerdict> {
  const started = clock.now();
  const deadlineMs = healthDeadlineMs(options);
  const poll = options.pollMs ?? 250;
  for (;;) {
    const view = await node.inspectContainer(containerId);
    const waitedMs = clock.now() - started;
    if (view.state === 'exited' || view.state === 'dead') {
      if (view.state === 'exited' && view.exitCode === 0) return { healthy: true, waitedMs };
      return { healthy: false, waitedMs, reason: `job ${view.name} on ${node.name} exited with code ${view.exitCode}${view.error ? ` (${view.error})` : ''}` };
    }
    if (view.restartCount > 0 || view.state === 'restarting') {
      return { healthy: false, waitedMs, reason: `job ${view.name} on ${node.name} was restarted (restart count ${view.restartCount}); a one-shot job must run once` };
    }
    if (waitedMs >= deadlineMs) {
      return { healthy: false, waitedMs, reason: `job ${view.name} on ${node.name} did not exit within ${Math.round(deadlineMs / 1000)}s (it is ${view.state}); raise its deploy.update_config.monitor for a longer job` };
    }
    await clock.sleep(poll, signal);
  }
}
