// A bounded first-in-first-out queue with one worker, one per notification, so that a slow
// or dead receiver only ever delays its own deliveries. When full, the oldest waiting item
// is dropped (and reported): the newest news about a fleet is the most useful.
export class DeliveryQueue<T> {
  private readonly items: T[] = [];
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly capacity: number,
    private readonly work: (item: T) => Promise<void>,
    private readonly onDrop: (item: T) => void,
  ) {
    if (capacity < 1) throw new Error('queue capacity must be at least 1');
  }

  get size(): number {
    return this.items.length;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Synchronous and cheap: the caller never waits for the work. */
  push(item: T): void {
    if (this.closed) {
      this.onDrop(item);
      return;
    }
    this.items.push(item);
    while (this.items.length > this.capacity) this.onDrop(this.items.shift() as T);
    this.running ??= this.drainLoop();
  }

  /** Resolves when everything queued so far is done, or after `timeoutMs`; true when idle. */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    return true;
  }

  /** Refuses new items; what is queued still runs. Returns the items that were waiting. */
  close(dropWaiting: boolean): T[] {
    this.closed = true;
    return dropWaiting ? this.items.splice(0) : [];
  }

  private async drainLoop(): Promise<void> {
    // Start on a later tick so push() returns before any work (or its errors) happens.
    await Promise.resolve();
    try {
      while (this.items.length > 0) {
        const item = this.items.shift() as T;
        try {
          await this.work(item);
        } catch {
          // `work` reports its own failures; the queue only has to keep going.
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
