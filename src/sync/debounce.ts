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
  private lastQuietMs = 0;
  private waiting = false;
  private napping: { until: number; nap: AbortController } | undefined;
  private readonly controller = new AbortController();

  constructor(
    private readonly clock: Clock,
    private readonly policy: DebouncePolicy,
    private readonly fire: (reasons: string[]) => void,
  ) {}

  /**
   * `quietMs` overrides the policy's for this hint: a hint that ends a sequence (the destroy
   * after a die) can fire sooner than one that may still be followed by others. The latest
   * hint's quiet period is the one that counts.
   */
  push(reason: string, quietMs = this.policy.quietMs): void {
    if (this.controller.signal.aborted) return;
    const now = this.clock.now();
    this.reasons.add(reason);
    this.lastAt = now;
    this.lastQuietMs = quietMs;
    this.firstAt ??= now;
    if (!this.waiting) {
      this.waiting = true;
      void this.waitAndFire();
    } else if (this.napping && this.due() < this.napping.until) {
      this.napping.nap.abort();
    }
  }

  /** Drops what is pending; later pushes are ignored. */
  cancel(): void {
    this.controller.abort(new Error('debouncer cancelled'));
  }

  private async waitAndFire(): Promise<void> {
    try {
      for (;;) {
        const due = this.due();
        const left = due - this.clock.now();
        if (left <= 0) break;
        // Its own controller, so a push that brings the due time forward can cut this sleep short.
        const nap = new AbortController();
        const onCancel = (): void => nap.abort();
        this.controller.signal.addEventListener('abort', onCancel, { once: true });
        this.napping = { until: due, nap };
        try {
          await this.clock.sleep(left, nap.signal);
        } catch {
          if (this.controller.signal.aborted) return; // cancelled
        } finally {
          this.napping = undefined;
          this.controller.signal.removeEventListener('abort', onCancel);
        }
      }
    } finally {
      this.waiting = false;
    }
    const reasons = [...this.reasons];
    this.reasons = new Set();
    this.firstAt = undefined;
    this.fire(reasons);
  }

  private due(): number {
    return Math.min(this.lastAt + this.lastQuietMs, (this.firstAt ?? this.lastAt) + this.policy.maxWaitMs);
  }
}
