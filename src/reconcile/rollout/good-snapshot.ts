// The desired state of the last good commit, kept on disk. A revert must not depend on the
// repository still having that commit (a force-push, a plain directory that was edited, a
// Git server that is away): the way back is always at hand.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../atomic-write.js';
import type { DesiredState } from '../../manifests/model.js';

export class GoodSnapshot {
  private readonly file: string;

  constructor(stateDir: string) {
    this.file = join(stateDir, 'last-good-desired.json');
  }

  async save(desired: DesiredState): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(desired) + '\n');
  }

  /** The snapshot when it is of `revision`; undefined when missing, unreadable or of another commit. */
  async load(revision: string): Promise<DesiredState | undefined> {
    try {
      const desired = JSON.parse(await fs.readFile(this.file, 'utf8')) as DesiredState;
      return desired.revision === revision ? desired : undefined;
    } catch {
      return undefined;
    }
  }
}
