// The desired state of the last good commit, kept on disk. A revert must not depend on the
// repository still having that commit (a force-push, a plain directory that was edited, a
// Git server that is away): the way back is always at hand.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../atomic-write.js';
import type { DesiredState } from '../../manifests/model.js';
import { contentBytes, SECRET_PLACEHOLDER } from '../../manifests/secret-bytes.js';

export class GoodSnapshot {
  private readonly file: string;

  constructor(stateDir: string) {
    this.file = join(stateDir, 'last-good-desired.json');
  }

  async save(desired: DesiredState): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(desired, maskSealedEnv) + '\n');
  }

  /** The snapshot when it is of `revision`; undefined when missing, unreadable or of another commit. */
  async load(revision: string): Promise<DesiredState | undefined> {
    try {
      const desired = JSON.parse(await fs.readFile(this.file, 'utf8')) as DesiredState;
      // Secrets are written as a placeholder, never their bytes: such a snapshot cannot
      // deliver them, so the commit is read from Git again instead.
      return desired.revision === revision && !withholdsSecrets(desired) ? desired : undefined;
    } catch {
      return undefined;
    }
  }
}

function withholdsSecrets(desired: DesiredState): boolean {
  return desired.stacks.some((stack) => stack.services.some((service) => service.sealedEnv !== undefined || service.files?.some((file) => file.entries.some((entry) => contentBytes(entry.content) === undefined))));
}

// Values from encrypted files never reach the disk: a service that has them is written with
// placeholders (and so, above, is never used from the snapshot; Git is read again).
function maskSealedEnv(this: unknown, key: string, value: unknown): unknown {
  if (key !== 'environment' || !value || typeof value !== 'object') return value;
  const sealed = (this as { sealedEnv?: Record<string, string> }).sealedEnv;
  if (!sealed) return value;
  return Object.fromEntries(Object.entries(value as Record<string, string>).map(([k, v]) => [k, k in sealed ? SECRET_PLACEHOLDER : v]));
}
