// The forge API clients reviews post through, from what the operator configured: a token
// (read from a file or the environment by the caller) and, for GitHub Enterprise, Gitea or
// a self-hosted GitLab, the API base URL. A forge without a token gets no reviews; its
// pull-request webhooks are acknowledged and ignored.
import { GitHubApi } from '../notify/github.js';
import { GitLabApi } from '../notify/gitlab.js';
import type { WebhookProviderName } from '../sync/webhooks/types.js';
import type { ReviewPoster } from './poster.js';

export interface ForgeAccess {
  token: string;
  /** GitHub: default https://api.github.com (Enterprise: https://HOST/api/v3). GitLab: default https://gitlab.com/api/v4. Gitea: required, https://HOST/api/v1. */
  apiUrl?: string;
}

export interface ForgeAccessConfig {
  github?: ForgeAccess;
  gitlab?: ForgeAccess;
  gitea?: ForgeAccess;
}

export function reviewPosters(config: ForgeAccessConfig, timeoutMs = 10_000): Partial<Record<WebhookProviderName, ReviewPoster>> {
  const posters: Partial<Record<WebhookProviderName, ReviewPoster>> = {};
  if (config.github) posters.github = new GitHubApi({ ...config.github, timeoutMs });
  if (config.gitlab) posters.gitlab = new GitLabApi({ ...config.gitlab, timeoutMs });
  if (config.gitea) {
    // Gitea has no central instance to default to.
    if (!config.gitea.apiUrl) throw new Error('Gitea reviews need the API URL of the Gitea server, e.g. https://gitea.example.com/api/v1');
    posters.gitea = new GitHubApi({ ...config.gitea, timeoutMs });
  }
  return posters;
}
