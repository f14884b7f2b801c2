// What a provider factory is given besides its own configuration.
import type { NotificationSpec } from '../manifests/model.js';
import type { NotificationProvider } from './provider.js';
import type { SecretSources } from './options.js';

export interface ProviderContext {
  secrets: SecretSources;
  /** Longest one HTTP request may take. */
  timeoutMs: number;
}

/** Builds a provider from one `spec.notifications` entry; throws NotificationConfigError. */
export type ProviderFactory = (spec: NotificationSpec, context: ProviderContext) => NotificationProvider;
