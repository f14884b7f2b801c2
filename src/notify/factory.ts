// The provider of each `spec.notifications` entry, chosen from a map (one file per
// provider). Adding a provider is one file and one line here.
import type { NotificationSpec } from '../manifests/model.js';
import type { ProviderFactory } from './context.js';
import { createGitHubProvider } from './github.js';
import { createGitLabProvider } from './gitlab.js';
import { createSlackProvider } from './slack.js';
import { createWebhookProvider } from './webhook.js';

export type ProviderKind = NotificationSpec['provider'];

export const PROVIDER_FACTORIES: Readonly<Record<ProviderKind, ProviderFactory>> = {
  slack: createSlackProvider,
  webhook: createWebhookProvider,
  // flotilla/deploy commit statuses on the deployed, failed or reverted commit.
  github: createGitHubProvider,
  gitlab: createGitLabProvider,
};
