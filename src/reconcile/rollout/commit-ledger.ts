// The commit lifecycle (DESIGN.md "The reconcile loop", step 6): pending while rolling out,
// good once healthy, failed/reverted otherwise, quarantined when reverted. All changes to
// the persistent state go through here so the rules live in one place.
import type { DeploymentOutcome, HistoryEntry, PersistentState } from '../../state.js';
import { HISTORY_LIMIT, QUARANTINE_LIMIT } from '../../state.js';

export type Changes = HistoryEntry['changes'];

export const NO_CHANGES: Changes = { create: 0, replace: 0, remove: 0, start: 0 };

export class CommitLedger {
  constructor(readonly state: PersistentState, private readonly now: () => number) {}

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** A crash leaves the last rollout pending; on start it is recorded as interrupted. */
  markInterrupted(): string | undefined {
    const last = this.state.history[this.state.history.length - 1];
    if (last?.outcome !== 'pending') return undefined;
    last.outcome = 'interrupted';
    last.finishedAt = this.iso();
    last.reason = 'the daemon stopped during the rollout; it is applied again';
    return last.revision;
  }

  begin(revision: string, changes: Changes): void {
    this.push({ revision, startedAt: this.iso(), outcome: 'pending', changes });
  }

  /** Ends the pending entry of `revision` (or records one when there is none). */
  finish(revision: string, outcome: DeploymentOutcome, reason?: string, changes: Changes = NO_CHANGES): void {
    const last = this.state.history[this.state.history.length - 1];
    const entry = last && last.revision === revision && last.outcome === 'pending' ? last : undefined;
    if (entry) {
      entry.outcome = outcome;
      entry.finishedAt = this.iso();
      if (reason) entry.reason = reason;
    } else {
      this.push({ revision, startedAt: this.iso(), finishedAt: this.iso(), outcome, ...(reason ? { reason } : {}), changes });
    }
  }

  /** Records a validation failure once per revision, not on every poll. */
  recordInvalid(revision: string, reason: string): boolean {
    const already = this.state.history.some((h) => h.revision === revision && h.outcome === 'invalid');
    if (!already) this.finish(revision, 'invalid', reason);
    return !already;
  }

  markGood(revision: string): void {
    this.state.applied = revision;
    this.state.lastGood = { revision, at: this.iso() };
    if (this.state.paused && this.state.paused.revision !== revision) delete this.state.paused;
  }

  markApplied(revision: string): void {
    this.state.applied = revision;
  }

  quarantine(revision: string, reason: string): void {
    if (this.isQuarantined(revision)) return;
    this.state.quarantined.push({ revision, reason, at: this.iso() });
    if (this.state.quarantined.length > QUARANTINE_LIMIT) this.state.quarantined.splice(0, this.state.quarantined.length - QUARANTINE_LIMIT);
  }

  isQuarantined(revision: string): boolean {
    return this.state.quarantined.some((q) => q.revision === revision);
  }

  pause(revision: string, reason: string): void {
    this.state.paused = { revision, reason, at: this.iso() };
  }

  /** A pause holds only for the revision it stopped; a newer commit is tried normally. */
  pausedOn(revision: string): boolean {
    return this.state.paused?.revision === revision;
  }

  private push(entry: HistoryEntry): void {
    this.state.history.push(entry);
    if (this.state.history.length > HISTORY_LIMIT) this.state.history.splice(0, this.state.history.length - HISTORY_LIMIT);
  }
}
