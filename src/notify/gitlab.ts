// GitLab's REST API (gitlab.com or self-hosted) for what Flotilla posts: commit statuses
// (`flotilla/plan` on merge requests, `flotilla/deploy` after a rollout) and the one plan
// note per merge request. Projects are named by numeric id or by path (group/project). The
// token (personal, project or group access token) comes from a file or the environment.
import type { ProviderFactory } from './context.js';
import { NotificationConfigError } from './provider.js';
import { forgeTargetProblem } from './check-options.js';
import { deployStatusProvider } from './commit-status.js';
import { callApi, type ApiCall } from '../review/forge-http.js';
import type { CommitState, CommitStatus, ReviewPoster } from '../review/poster.js';

export const GITLAB_API_URL = 'https://gitlab.com/api/v4';

export interface GitLabApiOptions {
  /** Default https://gitlab.com/api/v4; self-hosted: https://gitlab.example.com/api/v4. */
  apiUrl?: string;
  token: string;
  timeoutMs?: number;
}

const MAX_PAGES = 50;

// GitLab has no "failure" or "error": both are "failed".
const STATE: Record<CommitState, string> = { pending: 'pending', success: 'success', failure: 'failed', error: 'failed' };

export class GitLabApi implements ReviewPoster {
  /** GitLab keeps 255 characters of a status description; notes may be up to 1,000,000. */
  readonly limits = { statusDescription: 255, commentBody: 1_000_000 };
  private readonly base: string;

  constructor(private readonly options: GitLabApiOptions) {
    this.base = (options.apiUrl ?? GITLAB_API_URL).replace(/\/+$/, '');
  }

  async setStatus(project: string, sha: string, status: CommitStatus, signal?: AbortSignal): Promise<void> {
    const body = { state: STATE[status.state], name: status.context, description: status.description, ...(status.targetUrl ? { target_url: status.targetUrl } : {}) };
    await this.call('POST', `${projectPath(project)}/statuses/${encodeURIComponent(sha)}`, body, signal);
  }

  /** The id of the first (non-system) note whose body starts with `marker`. */
  async findNote(project: string, iid: number, marker: string): Promise<number | undefined> {
    for (let page = 1; page <= MAX_PAGES; ) {
      const result = await this.call('GET', `${projectPath(project)}/merge_requests/${iid}/notes?per_page=100&page=${page}&sort=asc&order_by=created_at`);
      const notes: unknown[] = Array.isArray(result.body) ? result.body : [];
      for (const n of notes) {
        const { id, body, system } = (n ?? {}) as { id?: unknown; body?: unknown; system?: unknown };
        if (typeof id === 'number' && system !== true && typeof body === 'string' && body.trimStart().startsWith(marker)) return id;
      }
      const next = Number(String(result.headers['x-next-page'] ?? ''));
      if (!Number.isInteger(next) || next <= page) return undefined;
      page = next;
    }
    return undefined;
  }

  async upsertComment(project: string, iid: number, marker: string, body: string): Promise<'created' | 'updated'> {
    const existing = await this.findNote(project, iid, marker);
    if (existing !== undefined) {
      await this.call('PUT', `${projectPath(project)}/merge_requests/${iid}/notes/${existing}`, { body });
      return 'updated';
    }
    await this.call('POST', `${projectPath(project)}/merge_requests/${iid}/notes`, { body });
    return 'created';
  }

  private call(method: ApiCall['method'], path: string, body?: unknown, signal?: AbortSignal) {
    return callApi({
      method,
      url: `${this.base}${path}`,
      headers: { 'private-token': this.options.token },
      ...(body !== undefined ? { body } : {}),
      ...(signal ? { signal } : {}),
      timeoutMs: this.options.timeoutMs ?? 10_000,
    });
  }
}

/** `/projects/<id or url-encoded path>`. */
function projectPath(project: string): string {
  if (project.trim() === '') throw new Error('project must be a GitLab project id or path');
  return `/projects/${encodeURIComponent(project)}`;
}

/**
 * `provider: gitlab` in cluster.yaml's notifications: sets `flotilla/deploy` on the deployed
 * (or failed, or reverted) commit. Options: `project` (id or group/project), `tokenFile` or
 * `tokenEnv`, and `apiUrl` for a self-hosted GitLab.
 */
export const createGitLabProvider: ProviderFactory = (spec, context) => {
  const problem = forgeTargetProblem(spec);
  if (problem !== undefined) throw new NotificationConfigError(spec.name, problem);
  return deployStatusProvider(spec, context, spec.options.project as string, GITLAB_API_URL, (options) => new GitLabApi(options));
};
