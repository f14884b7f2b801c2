// The daemon's persistent memory: the last good commit, quarantined commits and the recent
// deployment history. Written atomically (temp file, fsync, rename, fsync of the folder) so
// a crash at any moment leaves either the old or the new file, never a torn one.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';

/**
 * pending: rolling out (left pending by a crash, it reads as interrupted on restart);
 * deployed: every replica healthy for `monitor` (the commit is good); failed: the rollout
 * failed and was not reverted (pause, or revert disabled); reverted: failed, quarantined and
 * the cluster put back on the last good commit; revert-failed: the way back failed too (paused);
 * superseded: a newer commit arrived during the rollout; invalid: failed validation.
 */
export type DeploymentOutcome = 'pending' | 'deployed' | 'failed' | 'reverted' | 'revert-failed' | 'superseded' | 'interrupted' | 'invalid';

export interface HistoryEntry {
  revision: string;
  startedAt: string;
  finishedAt?: string;
  outcome: DeploymentOutcome;
  reason?: string;
  changes: { create: number; replace: number; remove: number; start: number };
}

export interface QuarantinedCommit {
  revision: string;
  reason: string;
  at: string;
}

export interface PersistentState {
  version: 1;
  lastGood?: { revision: string; at: string };
  /** The revision whose containers the fleet was last converged to (good or not). */
  applied?: string;
  quarantined: QuarantinedCommit[];
  history: HistoryEntry[];
  /** A rollout stopped for a person to look at; reconciles only report until a newer commit. */
  paused?: { revision: string; reason: string; at: string };
}

export const HISTORY_LIMIT = 50;
export const QUARANTINE_LIMIT = 50;

export function emptyState(): PersistentState {
  return { version: 1, quarantined: [], history: [] };
}

export class StateStore {
  readonly file: string;
  constructor(stateDir: string) {
    this.file = join(stateDir, 'state.json');
  }

  /** Missing file: a fresh state. A corrupt file is kept aside (never silently overwritten). */
  async load(): Promise<{ state: PersistentState; warning?: string }> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState() };
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as PersistentState;
      if (parsed.version !== 1 || !Array.isArray(parsed.history) || !Array.isArray(parsed.quarantined)) throw new Error('unexpected shape');
      return { state: parsed };
    } catch (err) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      await fs.rename(this.file, aside);
      return { state: emptyState(), warning: `state file was unreadable (${(err as Error).message}); moved to ${aside} and starting fresh` };
    }
  }

  async save(state: PersistentState): Promise<void> {
    const trimmed: PersistentState = { ...state, history: state.history.slice(-HISTORY_LIMIT), quarantined: state.quarantined.slice(-QUARANTINE_LIMIT) };
    await writeFileAtomic(this.file, JSON.stringify(trimmed, null, 2) + '\n');
  }
}

export function isQuarantined(state: PersistentState, revision: string): boolean {
  return state.quarantined.some((q) => q.revision === revision);
}
