// A Notifier that follows the cluster's `spec.notifications`: the reconciler hands it the
// notifications of every commit it loads and validates, so a change to them in Git takes
// effect with that commit. Kept apart from the dispatcher so the reconciler depends on this
// small interface only.
import type { NotificationSpec } from '../manifests/model.js';
import type { Notifier } from './types.js';

export interface ConfigurableNotifier extends Notifier {
  /** Idempotent: the same specs keep the existing providers (and do not re-read secrets). */
  configure(specs: readonly NotificationSpec[]): void;
}

export function isConfigurableNotifier(notifier: Notifier): notifier is ConfigurableNotifier {
  return typeof (notifier as Partial<ConfigurableNotifier>).configure === 'function';
}
