// Webhooks, the poll timer and the API only ask for a reconcile; this queue runs one at a
// time and folds every request that arrives meanwhile into a single follow-up run. The run
// itself re-reads Git and the nodes, so no request carries state (level-triggered).
export interface TriggerRun {
  reasons: string[];
  signal: AbortSignal;
}

export class TriggerQueue {
  private pending: string[] = [];
  private running: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private stopped = false;

  constructor(
    private readonly run: (trigger: TriggerRun) => Promise<void>,
    private readonly timeoutMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Asks for a reconcile. Returns at once; coalesced with any request not yet started. */
  request(reason: string): void {
    if (this.stopped) return;
    if (!this.pending.includes(reason)) this.pending.push(reason);
    if (!this.running) this.running = this.loop();
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves when nothing is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops taking requests; aborts the current run when `abort` is set, else lets it finish. */
  async stop(abort: boolean): Promise<void> {
    this.stopped = true;
    this.pending = [];
    if (abort) this.controller?.abort(new Error('daemon is shutting down'));
    await this.idle();
  }

  private async loop(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.stopped) {
        const reasons = this.pending;
        this.pending = [];
        const controller = new AbortController();
        this.controller = controller;
        // A plain timer (not AbortSignal.timeout, which is unref'd) so a hung run is always cut off.
        const timer = setTimeout(() => controller.abort(new Error(`reconcile timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
        try {
          await this.run({ reasons, signal: controller.signal });
        } catch (err) {
          this.onError(err);
        } finally {
          clearTimeout(timer);
        }
      }
    } finally {
      this.controller = undefined;
      this.running = undefined;
    }
  }
}
