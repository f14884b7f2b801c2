// What one reconcile ends as, and the commit it aims at: shared by the reconciler and
// the rollout stages it hands a result to, which must not import the reconciler back.
import type { DesiredState } from '../manifests/model.js';

export type ReconcileResult = 'success' | 'unchanged' | 'failed' | 'invalid' | 'reverted' | 'revert-failed' | 'paused' | 'superseded' | 'untrusted' | 'error';

export interface Target {
  revision: string;
  desired: DesiredState;
  /** 'sync' for a revision not yet applied, 'resync' to re-check the applied one. */
  mode: 'sync' | 'resync';
}
