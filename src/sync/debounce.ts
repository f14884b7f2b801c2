// Folds a burst of hints into few calls: fires `quietMs` after the last hint, but never
// later than `maxWaitMs` after the first one of the burst, so a steady stream of hints (a
// node restarting a hundred containers one after another) still fires about once per
// `maxWaitMs` instead of being put off until it ends, or firing a hundred times.
import type { Clock } from '../clock.js';

export interface DebouncePolicy {
  quietMs: number;
  maxWaitMs: number;
}

export class Debouncer {
  private reasons = new Set<string>();
  private firstAt: number | undefined;
  private lastAt = 0;
  private waiting = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly clock: Clock,
    private readonly policy: DebouncePolicy,
    private readonly fire: (reasons: string[]) => void,
  ) {}

  push(reason: string): void {
    if (this.controller.signal.aborted) return;
    const now = this.clock.now();
    this.reasons.add(reason);
    this.lastAt = now;
    this.firstAt ??= now;
    if (!this.waiting) {
      this.waiting = true;
      void this.waitAndFire();
    }
  }

  /** Drops what is pending; later pushes are ignored. */
  cancel(): void {
    this.controller.abort(new Error('debouncer cancelled'));
  }

  private async waitAndFire(): Promise<void> {
    try {
      for (;;) {
        const due = Math.min(this.lastAt + this.policy.quietMs, (this.firstAt ?? this.lastAt) + this.policy.maxWaitMs);
        const left = due - this.clock.now();
        if (left <= 0) break;
        await this.clock.sleep(left, this.controller.signal);
      }
    } catch {
      return; // cancelled
    } finally {
      this.waiting = false;
    }
    const reasons = [...this.reasons];
    this.reasons = new Set();
    this.firstAt = undefined;
    this.fire(reasons);
  }
}
