// Remembers the delivery ids seen lately so a redelivered webhook (the forges retry on
// timeouts and offer a "redeliver" button) does not trigger the same work twice. Bounded:
// the oldest ids are forgotten first, so a flood of deliveries cannot grow memory.
export class DeliveryLru {
  private readonly seen = new Map<string, true>();

  constructor(private readonly capacity = 1000) {}

  /** Records the id; true when it was already seen (a duplicate). */
  checkAndRemember(id: string): boolean {
    if (this.seen.has(id)) {
      // Refresh its place: a delivery redelivered again and again stays remembered.
      this.seen.delete(id);
      this.seen.set(id, true);
      return true;
    }
    this.seen.set(id, true);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return false;
  }

  get size(): number {
    return this.seen.size;
  }
}
