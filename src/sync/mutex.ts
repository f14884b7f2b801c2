// In-process coordination for the Git cache. isomorphic-git must never run two writers on
// one repository (two fetches would race on refs, the shallow file and pack indexes), so
// every write to a cache directory goes through one KeyedMutex keyed by that directory.
// SingleFlight lets callers that ask for the same thing at the same time (a webhook and
// the poll timer both fetching) share one network round instead of queueing two.

/** Runs functions one at a time per key, in arrival order. */
export class KeyedMutex {
  private tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    // The next waiter starts after this one settles, whether it failed or not.
    const result = previous.then(fn, fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      // Forget the key once nothing is queued behind this run, so the map does not grow.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** True while a run holds or waits for `key`. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }
}

/** Concurrent calls with the same key get the promise of the call already in flight. */
export class SingleFlight<T> {
  private inFlight = new Map<string, Promise<T>>();

  run(key: string, fn: () => Promise<T>): Promise<T> {
    const current = this.inFlight.get(key);
    if (current) return current;
    const promise = fn().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }
}
