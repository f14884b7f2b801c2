// Reviews run off the webhook's request path, one at a time (each observes the fleet and
// talks to a forge's API; running them in parallel would only contend), and coalesced per
// pull request: three quick pushes to one pull request while another is being reviewed
// give one review of the newest head, not three. Bounded, so a flood cannot grow memory.
export class CoalescingQueue<T> {
  private readonly pending = new Map<string, T>();
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly run: (item: T) => Promise<void>,
    private readonly onError: (err: unknown, item: T) => void,
    private readonly maxPending = 100,
  ) {}

  /**
   * Queues `item` under `key`, replacing an item of that key not yet started (it keeps its
   * place in line). False when the queue is stopped or full.
   */
  push(key: string, item: T): boolean {
    if (this.stopped) return false;
    if (!this.pending.has(key) && this.pending.size >= this.maxPending) return false;
    this.pending.set(key, item);
    this.running ??= this.loop();
    return true;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves when nothing is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Drops what is queued and waits for the running item. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pending.clear();
    await this.idle();
  }

  private async loop(): Promise<void> {
    try {
      for (let next = this.shift(); next !== undefined; next = this.shift()) {
        try {
          await this.run(next);
        } catch (err) {
          this.onError(err, next);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private shift(): T | undefined {
    const first = this.pending.entries().next();
    if (first.done) return undefined;
    const [key, item] = first.value;
    this.pending.delete(key);
    return item;
  }
}
