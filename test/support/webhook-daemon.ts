// The daemon's HTTP side around an in-process Flotilla, wired as `flotilla run` wires it: a
// TriggerQueue running the reconciler, createRouter with the webhook routes, and the real
// HTTP server. For the tests and benchmarks that send real webhooks to a real fleet.
import { silentLogger } from '../../src/log.js';
import { listen, type ListeningServer } from '../../src/server/http-server.js';
import { createRouter } from '../../src/server/routes.js';
import { webhookRoutes } from '../../src/server/webhook-routes.js';
import { TriggerQueue, type TriggerRun } from '../../src/sync/trigger-queue.js';
import type { InProcessFlotilla } from './flotilla.js';

export interface WebhookDaemonOptions {
  /** The tracked repository, as given to --repo; the branch is main. */
  repoUrl: string;
  secret: string;
  /** Called with each run before its reconcile starts. */
  onRun?: (run: TriggerRun) => void;
  /** A reconcile that throws (it should not: a failed reconcile is a result). */
  onError: (err: unknown) => void;
}

export interface WebhookDaemon {
  queue: TriggerQueue;
  server: ListeningServer;
  close(): Promise<void>;
}

/** Starts the daemon and resolves once its startup reconcile is over. */
export async function startWebhookDaemon(flotilla: InProcessFlotilla, o: WebhookDaemonOptions): Promise<WebhookDaemon> {
  const queue = new TriggerQueue(async (run) => {
    o.onRun?.(run);
    await flotilla.app.reconciler.reconcile(run);
  }, 120_000, o.onError);
  const router = createRouter({
    ready: () => flotilla.app.reconciler.isReady(), status: () => flotilla.status(), history: () => flotilla.app.reconciler.history(),
    requestSync: (r) => queue.request(r), registry: flotilla.app.metrics.registry,
    extra: webhookRoutes({ secret: o.secret, repoUrl: o.repoUrl, branch: 'main', queue, metrics: flotilla.app.metrics }),
  });
  const server = await listen(router, '127.0.0.1:0', silentLogger());
  queue.request('startup');
  await queue.idle();
  return {
    queue,
    server,
    close: async () => {
      await server.close();
      await queue.stop(true);
    },
  };
}
