// The provider of each `spec.notifications` entry, chosen from a map (one file per
// provider). Adding a provider is one file and one line here.
import type { NotificationSpec } from '../manifests/model.js';
import type { ProviderFactory } from './context.js';
import { NotificationConfigError } from './provider.js';
import { createSlackProvider } from './slack.js';
import { createWebhookProvider } from './webhook.js';

export type ProviderKind = NotificationSpec['provider'];

/** Stands in for a provider this build does not have, so the rest of the fleet's notifications still work. */
function unavailable(kind: string): ProviderFactory {
  return (spec) => {
    throw new NotificationConfigError(spec.name, `the ${kind} provider is not available in this version of Flotilla`);
  };
}

export const PROVIDER_FACTORIES: Readonly<Record<ProviderKind, ProviderFactory>> = {
  slack: createSlackProvider,
  webhook: createWebhookProvider,
  // Commit statuses and PR/MR comments: src/notify/github.ts and gitlab.ts, wired here when they land.
  github: unavailable('github'),
  gitlab: unavailable('gitlab'),
};
