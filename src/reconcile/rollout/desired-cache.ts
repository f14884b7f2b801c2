// Loads and validates a revision once: commits are immutable, so the result (valid state or
// problems) can be kept. A plain directory's revision is a content hash, so it is too.
// Bounded, because a long-running daemon sees many commits.
import { loadDesiredState, type LoadOptions, type LoadResult } from '../../manifests/load.js';
import type { GitSource } from '../../sync/git-source.js';
import type { DesiredState } from '../../manifests/model.js';
import type { GoodSnapshot } from './good-snapshot.js';

// Two: the commit being applied and the last good one. At 1,000 services each costs ~5 MB.
const CAPACITY = 2;

export class DesiredStateCache {
  private readonly entries = new Map<string, LoadResult>();

  constructor(private readonly source: GitSource, private readonly clusterPath: string | undefined, private readonly snapshot?: GoodSnapshot, private readonly loadOptions: LoadOptions = {}) {}

  async load(revision: string): Promise<LoadResult> {
    const cached = this.entries.get(revision);
    if (cached) {
      this.entries.delete(revision);
      this.entries.set(revision, cached);
      return cached;
    }
    const saved = await this.snapshot?.load(revision);
    const result = saved ? { state: saved, problems: [], clusterPath: this.clusterPath ?? '' } : await loadDesiredState(await this.source.reader(revision), this.clusterPath, this.loadOptions);
    this.remember(revision, result);
    return result;
  }

  /** Keeps the last good commit's desired state on disk too, for reverts. */
  async markGood(desired: DesiredState): Promise<void> {
    this.remember(desired.revision, { state: desired, problems: [], clusterPath: this.clusterPath ?? '' });
    await this.snapshot?.save(desired);
  }

  private remember(revision: string, result: LoadResult): void {
    this.entries.delete(revision);
    this.entries.set(revision, result);
    if (this.entries.size > CAPACITY) this.entries.delete(this.entries.keys().next().value as string);
  }
}
