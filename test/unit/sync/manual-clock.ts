// A clock that moves only when the test says so: sleepers wake in time order as `advance`
// passes their deadline, with the microtasks they start run before time moves on.
import type { Clock } from '../../../src/clock.js';

interface Sleeper {
  at: number;
  wake: () => void;
}

export class ManualClock implements Clock {
  time = 0;
  private sleepers: Sleeper[] = [];
  /** Every sleep asked for, in order (to check backoff delays). */
  readonly sleeps: number[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper: Sleeper = {
        at: this.time + ms,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Moves time forward by `ms`, waking each sleeper at its own deadline. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const next = this.sleepers.filter((s) => s.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.sleepers = this.sleepers.filter((s) => s !== next);
      this.time = next.at;
      next.wake();
    }
    this.time = end;
    await settle();
  }

  get pendingSleepers(): number {
    return this.sleepers.length;
  }
}

/** Lets promise chains started so far run to their next real wait. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
