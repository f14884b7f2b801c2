// GitHub's REST API for what Flotilla posts: commit statuses (`flotilla/plan` on pull
// requests, `flotilla/deploy` after a rollout) and the one plan comment per pull request.
// The API base URL is configurable for GitHub Enterprise (https://ghe.example.com/api/v3)
// and works for Gitea and Forgejo too (https://gitea.example.com/api/v1), whose API has the
// same endpoints. The token comes from a file or the environment, never from Git.
import type { ProviderFactory } from './context.js';
import { NotificationConfigError } from './provider.js';
import { forgeTargetProblem } from './check-options.js';
import { deployStatusProvider } from './commit-status.js';
import { callApi, nextLink, type ApiCall } from '../review/forge-http.js';
import type { CommitStatus, ReviewPoster } from '../review/poster.js';

export const GITHUB_API_URL = 'https://api.github.com';

export interface GitHubApiOptions {
  /** Default https://api.github.com. */
  apiUrl?: string;
  token: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

/** Pages of comments read while looking for the plan comment; 50 × 100 comments is plenty. */
const MAX_PAGES = 50;

export class GitHubApi implements ReviewPoster {
  /** GitHub rejects longer status descriptions (140) and comment bodies (65,536). */
  readonly limits = { statusDescription: 140, commentBody: 65_536 };
  private readonly base: string;

  constructor(private readonly options: GitHubApiOptions) {
    this.base = (options.apiUrl ?? GITHUB_API_URL).replace(/\/+$/, '');
  }

  async setStatus(repository: string, sha: string, status: CommitStatus, signal?: AbortSignal): Promise<void> {
    const body = { state: status.state, context: status.context, description: status.description, ...(status.targetUrl ? { target_url: status.targetUrl } : {}) };
    await this.call('POST', `${repoPath(repository)}/statuses/${encodeURIComponent(sha)}`, body, signal);
  }

  /** The id of the first comment whose body starts with `marker`. */
  async findComment(repository: string, number: number, marker: string): Promise<number | undefined> {
    // per_page for GitHub, limit for Gitea (which caps it at its own maximum).
    let url: string | undefined = `${this.base}${repoPath(repository)}/issues/${number}/comments?per_page=100&limit=50`;
    for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
      const result = await this.request({ method: 'GET', url });
      const comments: unknown[] = Array.isArray(result.body) ? result.body : [];
      for (const c of comments) {
        const { id, body } = (c ?? {}) as { id?: unknown; body?: unknown };
        if (typeof id === 'number' && typeof body === 'string' && body.trimStart().startsWith(marker)) return id;
      }
      const next = nextLink(result.headers.link);
      // Never follow a link elsewhere: the token would go with it.
      url = next !== undefined && sameOrigin(next, this.base) ? next : undefined;
    }
    return undefined;
  }

  async upsertComment(repository: string, number: number, marker: string, body: string): Promise<'created' | 'updated'> {
    const existing = await this.findComment(repository, number, marker);
    if (existing !== undefined) {
      await this.call('PATCH', `${repoPath(repository)}/issues/comments/${existing}`, { body });
      return 'updated';
    }
    await this.call('POST', `${repoPath(repository)}/issues/${number}/comments`, { body });
    return 'created';
  }

  private call(method: ApiCall['method'], path: string, body?: unknown, signal?: AbortSignal) {
    return this.request({ method, url: `${this.base}${path}`, ...(body !== undefined ? { body } : {}), ...(signal ? { signal } : {}) });
  }

  private request(call: Omit<ApiCall, 'headers' | 'timeoutMs'>) {
    return callApi({
      ...call,
      headers: { authorization: `token ${this.options.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
      timeoutMs: this.options.timeoutMs ?? 10_000,
    });
  }
}

/** `/repos/<owner>/<name>`; anything but exactly owner/name is a caller's mistake. */
function repoPath(repository: string): string {
  const parts = repository.split('/');
  if (parts.length !== 2 || parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error(`repository must be owner/name, got ${JSON.stringify(repository)}`);
  return `/repos/${parts.map(encodeURIComponent).join('/')}`;
}

function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

/**
 * `provider: github` in cluster.yaml's notifications: sets `flotilla/deploy` on the deployed
 * (or failed, or reverted) commit. Options: `repository` (owner/name), `tokenFile` or
 * `tokenEnv`, and `apiUrl` for GitHub Enterprise or Gitea.
 */
export const createGitHubProvider: ProviderFactory = (spec, context) => {
  const problem = forgeTargetProblem(spec);
  if (problem !== undefined) throw new NotificationConfigError(spec.name, problem);
  return deployStatusProvider(spec, context, spec.options.repository as string, GITHUB_API_URL, (options) => new GitHubApi(options));
};
