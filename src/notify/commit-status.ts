// The `flotilla/deploy` commit status of a fleet event, shared by the GitHub and GitLab
// providers: success when a commit is deployed, failure when its rollout fails, and failure
// described as "Reverted" when the daemon rolled the cluster back from it (no forge has a
// "reverted" state; DESIGN.md counts every revert as a failure). Other events set nothing.
import type { CommitStatus } from '../review/poster.js';
import type { ProviderContext } from './context.js';
import { safeTarget } from './http.js';
import { requireHttpUrl, requireSecretOption, stringOption } from './options.js';
import type { NotificationProvider } from './provider.js';
import type { FleetEvent } from './types.js';
import type { NotificationSpec } from '../manifests/model.js';

export const DEPLOY_STATUS_CONTEXT = 'flotilla/deploy';

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** The status to set, and on which commit; undefined when the event sets none. */
export function deployStatus(event: FleetEvent, maxDescription: number): { sha: string; status: CommitStatus } | undefined {
  // A plain-directory source has no commits to put a status on.
  if (!event.revision || !COMMIT.test(event.revision)) return undefined;
  let state: CommitStatus['state'];
  let text: string;
  switch (event.type) {
    case 'deployed':
      state = 'success';
      text = `Deployed to ${event.cluster}`;
      break;
    case 'failed':
      state = 'failure';
      text = `Rollout failed on ${event.cluster}: ${event.message}`;
      break;
    case 'reverted':
      state = 'failure';
      text = `Reverted on ${event.cluster}: ${event.message}`;
      break;
    case 'untrusted':
      // The commit's author sees why it was not deployed, on the commit itself.
      state = 'failure';
      text = `Not applied to ${event.cluster}: ${event.message}`;
      break;
    default:
      return undefined;
  }
  const flat = text.replace(/\s+/g, ' ').trim();
  const description = flat.length <= maxDescription ? flat : `${flat.slice(0, maxDescription - 1)}…`;
  return { sha: event.revision, status: { context: DEPLOY_STATUS_CONTEXT, state, description } };
}

/** What a forge's API client offers for deploy statuses; `where` is a repository or project. */
export interface DeployStatusApi {
  readonly limits: { statusDescription: number };
  setStatus(where: string, sha: string, status: CommitStatus, signal?: AbortSignal): Promise<void>;
}

/**
 * The notification provider of a forge (github, gitlab): reads `apiUrl` (default
 * `defaultApiUrl`) and the token from `tokenFile` or `tokenEnv`, and sets the deploy status
 * of each event on `where` through the client `makeApi` builds.
 */
export function deployStatusProvider(
  spec: NotificationSpec,
  context: ProviderContext,
  where: string,
  defaultApiUrl: string,
  makeApi: (options: { apiUrl: string; token: string; timeoutMs: number }) => DeployStatusApi,
): NotificationProvider {
  const apiUrl = requireHttpUrl(spec, stringOption(spec, 'apiUrl') ?? defaultApiUrl, 'apiUrl');
  const api = makeApi({ apiUrl, token: requireSecretOption(spec, 'token', context.secrets, false), timeoutMs: context.timeoutMs });
  return {
    kind: spec.provider,
    target: safeTarget(apiUrl),
    async deliver(event, attempt) {
      const update = deployStatus(event, api.limits.statusDescription);
      if (update) await api.setStatus(where, update.sha, update.status, attempt.signal);
    },
  };
}
