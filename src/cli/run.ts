// `flotilla run`: the daemon. Polls the repo, watches each node's Docker events, serves the
// HTTP API, and runs one reconcile at a time through the trigger queue. SIGTERM/SIGINT let the current reconcile finish
// (bounded), then stop serving and flush the logs.
import { dashboardRoutes } from '../server/dashboard/dashboard-routes.js';
import { resolve } from 'node:path';
import { buildApp } from '../app.js';
import { createLogger, SecretRedactor } from '../log.js';
import { readSecret } from '../secrets.js';
import { parseCliDuration } from '../duration.js';
import { TriggerQueue } from '../sync/trigger-queue.js';
import { DockerEventTrigger } from '../sync/docker-event-trigger.js';
import { systemClock } from '../clock.js';
import { createRouter } from '../server/routes.js';
import { listen } from '../server/http-server.js';
import { webhookRoutes } from '../server/webhook-routes.js';
import { PullRequestReviewer } from '../review/reviewer.js';
import { reviewPosters } from '../review/posters.js';
import { formatHelp, parseOptions, UsageError, type OptionSpecs } from './options.js';
import { GIT_TOKEN_FILE_OPTION, gitToken } from './repo-options.js';
import { DOCKER_CONFIG_OPTION, dockerConfigFile } from './docker-config-option.js';
import { AGE_KEY_FILE_OPTION, ageKeyring } from './age-key-option.js';
import { VERIFY_SIGNATURES_OPTION, verifySignatureKeys } from './verify-signatures-option.js';
import { applyMemoryMode, parseMemoryMode } from './memory-mode.js';
import type { CommandIO } from './io.js';

export const RUN_OPTIONS: OptionSpecs = {
  repo: { type: 'string', value: 'URL|DIR', description: 'Config repository: an https:// URL, a local Git repository, or a plain directory' },
  branch: { type: 'string', default: 'main', value: 'NAME', description: 'Branch to track' },
  path: { type: 'string', value: 'PATH', description: 'Cluster directory in the repo, e.g. clusters/production (default: the only cluster)' },
  interval: { type: 'string', default: '30s', value: 'DURATION', description: 'How often to poll Git and re-check the nodes' },
  'state-dir': { type: 'string', default: '.flotilla', value: 'DIR', description: 'Where state.json and the Git cache live' },
  listen: { type: 'string', default: '127.0.0.1:9797', value: 'HOST:PORT', description: 'Address of the HTTP API, metrics and webhooks' },
  'git-token-file': GIT_TOKEN_FILE_OPTION,
  'docker-config': DOCKER_CONFIG_OPTION,
  'verify-signatures': VERIFY_SIGNATURES_OPTION,
  'age-key-file': AGE_KEY_FILE_OPTION,
  'webhook-secret-file': { type: 'string', value: 'FILE', description: 'File holding the webhook secret (or set FLOTILLA_WEBHOOK_SECRET)' },
  'api-token-file': { type: 'string', value: 'FILE', description: 'File holding the bearer token for POST /api/v1/sync (or set FLOTILLA_API_TOKEN)' },
  'github-token-file': { type: 'string', value: 'FILE', description: 'GitHub token for pull-request plan comments and statuses (or set FLOTILLA_GITHUB_TOKEN)' },
  'github-api-url': { type: 'string', value: 'URL', description: 'GitHub API base URL (GitHub Enterprise: https://HOST/api/v3)' },
  'gitlab-token-file': { type: 'string', value: 'FILE', description: 'GitLab token for merge-request plan comments and statuses (or set FLOTILLA_GITLAB_TOKEN)' },
  'gitlab-api-url': { type: 'string', value: 'URL', description: 'GitLab API base URL (self-hosted: https://HOST/api/v4)' },
  'gitea-token-file': { type: 'string', value: 'FILE', description: 'Gitea/Forgejo token for pull-request plan comments (or set FLOTILLA_GITEA_TOKEN)' },
  'gitea-api-url': { type: 'string', value: 'URL', description: 'Gitea/Forgejo API base URL, e.g. https://gitea.example.com/api/v1' },
  'log-level': { type: 'string', default: 'info', value: 'LEVEL', description: 'trace, debug, info, warn or error' },
  'node-grace': { type: 'string', default: '60s', value: 'DURATION', description: 'How long a node may be unreachable before its replicas are rescheduled' },
  'reconcile-timeout': { type: 'string', default: '15m', value: 'DURATION', description: 'Longest one reconcile may take before it is abandoned' },
  'memory-mode': { type: 'string', default: 'lean', value: 'MODE', description: 'lean: keep the JS heap close to its live size (half the memory of V8\'s defaults for a little more CPU); throughput: V8\'s defaults' },
};

export const runHelp = formatHelp(
  'flotilla run --repo <url|dir> [--branch main] [--path clusters/<name>] [--interval 30s] [options]',
  'Runs the GitOps daemon: follows the branch, validates each commit, converges every node to it\nwith health-gated rolling updates, and serves /healthz, /readyz, /metrics and /api/v1/*.',
  RUN_OPTIONS,
  '\nExample: flotilla run --repo example-repo   (the bundled example against the local Docker engine)\n',
);

export async function runCommand(argv: string[], io: CommandIO): Promise<number> {
  const { options } = parseOptions(argv, RUN_OPTIONS, io.env);
  if (!options.repo) throw new UsageError('--repo is required (a Git URL, a local repository or a directory)');
  const intervalMs = parseDurationOption('interval', options.interval as string);
  applyMemoryMode(parseUsage(() => parseMemoryMode(options['memory-mode'] as string)));
  const secrets = new SecretRedactor();
  const log = parseUsage(() => createLogger({ level: options['log-level'] as string, secrets }));
  const token = gitToken(options, io.env);
  const apiToken = readSecret(options['api-token-file'] as string | undefined, 'FLOTILLA_API_TOKEN', io.env);
  const webhookSecret = readSecret(options['webhook-secret-file'] as string | undefined, 'FLOTILLA_WEBHOOK_SECRET', io.env);
  const githubToken = readSecret(options['github-token-file'] as string | undefined, 'FLOTILLA_GITHUB_TOKEN', io.env);
  const gitlabToken = readSecret(options['gitlab-token-file'] as string | undefined, 'FLOTILLA_GITLAB_TOKEN', io.env);
  const giteaToken = readSecret(options['gitea-token-file'] as string | undefined, 'FLOTILLA_GITEA_TOKEN', io.env);
  for (const value of [token, apiToken, webhookSecret, githubToken, gitlabToken, giteaToken]) secrets.add(value);
  const dockerConfig = dockerConfigFile(options, io.env);
  const ageKeys = ageKeyring(options, io.env);
  const trustedKeys = verifySignatureKeys(options);
  const app = await buildApp({
    repo: options.repo as string,
    branch: options.branch as string,
    ...(options.path ? { clusterPath: options.path as string } : {}),
    stateDir: resolve(options['state-dir'] as string),
    ...(token ? { gitToken: token } : {}),
    ...(dockerConfig ? { dockerConfigFile: dockerConfig } : {}),
    ...(ageKeys ? { ageKeys } : {}),
    ...(trustedKeys ? { verifySignatures: trustedKeys } : {}),
    nodeGraceMs: parseDurationOption('node-grace', options['node-grace'] as string),
    healthGate: true,
    defaultMetrics: true,
    log,
    secrets,
    // A rollout waiting on health looks for a newer commit this often, and rolls forward to it.
    supersedeCheckMs: Math.max(1000, Math.min(intervalMs, 10_000)),
    requestFollowUp: (reason) => queue.request(reason),
  });
  const events = new DockerEventTrigger({ request: (reason) => queue.request(reason), clock: systemClock, metrics: app.metrics, log: log.child({ component: 'events' }) });
  const queue: TriggerQueue = new TriggerQueue(
    async (run) => {
      try {
        await app.reconciler.reconcile(run);
      } finally {
        // The reconcile has just aligned the node pool with Git; the event streams follow it.
        events.align(app.pool.nodes());
      }
    },
    parseDurationOption('reconcile-timeout', options['reconcile-timeout'] as string),
    (err) => log.error({ err }, 'reconcile crashed'),
  );
  const forge = (token: string | undefined, apiUrl: unknown) => (token ? { token, ...(apiUrl ? { apiUrl: apiUrl as string } : {}) } : undefined);
  const access = { github: forge(githubToken, options['github-api-url']), gitlab: forge(gitlabToken, options['gitlab-api-url']), gitea: forge(giteaToken, options['gitea-api-url']) };
  const posters = reviewPosters(Object.fromEntries(Object.entries(access).filter(([, v]) => v !== undefined)));
  const reviewer = Object.keys(posters).length > 0
    ? new PullRequestReviewer({ source: app.source, ...(options.path ? { clusterPath: options.path as string } : {}), nodeFactory: app.nodeFactory, digestKey: app.digestKey, ...(ageKeys ? { ageKeys } : {}), posters, log: log.child({ component: 'review' }) })
    : undefined;
  const router = createRouter({
    dashboard: dashboardRoutes({ status: () => app.reconciler.status(), history: () => app.reconciler.history(), ...(apiToken ? { apiToken } : {}) }),
    extra: webhookRoutes({ secret: webhookSecret, repoUrl: options.repo as string, branch: options.branch as string, queue, metrics: app.metrics, ...(reviewer ? { onPullRequest: reviewer.onPullRequest } : {}) }),
    ready: () => app.reconciler.isReady(),
    status: () => app.reconciler.status(),
    history: () => app.reconciler.history(),
    endpoints: () => app.reconciler.endpoints(),
    prometheusTargets: () => app.reconciler.prometheusTargets(),
    requestSync: (reason) => queue.request(reason),
    registry: app.metrics.registry,
    ...(apiToken ? { apiToken } : {}),
  });
  const server = await listen(router, options.listen as string, log);
  if (!apiToken && !/^(127\.|\[::1\]|localhost)/.test(server.address)) {
    log.warn({ listen: server.address }, 'the API listens beyond loopback without --api-token-file: anyone who can reach it can trigger a sync');
  }
  log.info({ source: app.source.describe(), branch: options.branch, listen: server.address, intervalMs }, 'flotilla is running');
  queue.request('startup');
  const timer = setInterval(() => queue.request('poll'), intervalMs);

  await new Promise<void>((done) => {
    const shutdown = (signal: string) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      log.info({ signal, graceMs: SHUTDOWN_GRACE_MS }, 'shutting down: letting the current reconcile finish, then aborting it');
      clearInterval(timer);
      const eventsStopped = events.stop();
      // A rollout can take minutes; past the grace its current step is aborted. Aborting is
      // safe at any point (a restart converges, as after a crash), and the total stays under
      // the 15 s a supervisor is told to wait before SIGKILL.
      const abortLater = setTimeout(() => void queue.stop(true), SHUTDOWN_GRACE_MS);
      void queue.stop(false).then(async () => {
        // Let queued notifications (e.g. the last deploy) go out, briefly, then cancel the rest.
        await reviewer?.stop();
        await app.notifications?.drain(5_000);
        app.notifications?.close();
        clearTimeout(abortLater);
        await eventsStopped;
        await server.close();
        log.info('stopped');
        log.flush();
        done();
      });
    };
    const onTerm = () => shutdown('SIGTERM');
    const onInt = () => shutdown('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  return 0;
}

/** How long SIGTERM lets the current reconcile run before aborting it. */
const SHUTDOWN_GRACE_MS = 8_000;

function parseDurationOption(option: string, text: string): number {
  return parseUsage(() => parseCliDuration(option, text));
}

/** A bad option value is a usage error (the message and exit 1), not a crash. */
function parseUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
