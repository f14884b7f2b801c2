// Step 1½ of a reconcile (opt-in): only a commit signed by a trusted key may be applied.
// Which keys are trusted is never decided by the commit being checked, or an unsigned
// commit could switch verification off: the operator's --verify-signatures keys come first,
// then those of the commit the cluster runs (the last one that passed), and only when
// neither says anything, the candidate's own `spec.sync.verifySignatures` (so the commit
// that turns verification on must itself be signed).
import { stat } from 'node:fs/promises';
import type { ClusterSpec } from '../../manifests/model.js';
import type { GitSource } from '../../sync/git-source.js';
import type { SignatureVerdict } from '../../sync/signatures/verify-commit.js';

/** Verdicts by commit and key files: commits are immutable, so a verdict holds until the keys change. */
const CACHE_LIMIT = 64;

export class UntrustedCommitError extends Error {
  readonly code = 'UNTRUSTED_COMMIT' as const;
}

export class SignatureGate {
  private readonly verdicts = new Map<string, SignatureVerdict>();
  /** Refused heads already announced, so that every poll does not notify again. */
  private readonly announced = new Set<string>();

  constructor(private readonly source: GitSource, private readonly operatorKeys: readonly string[] | undefined) {}

  /** Whether any verification can apply (saves loading the candidate when it cannot). */
  get forced(): boolean {
    return (this.operatorKeys?.length ?? 0) > 0;
  }

  /**
   * The verdict for `revision`, or undefined when no verification applies. `trusted` is the
   * cluster of the commit the fleet runs; `candidate` loads the commit's own.
   */
  async check(revision: string, trusted: ClusterSpec | undefined, candidate: () => Promise<ClusterSpec | undefined>): Promise<SignatureVerdict | undefined> {
    const files = this.forced ? [...(this.operatorKeys as string[])] : (trusted?.sync.verifySignatures?.keys ?? (await candidate())?.sync.verifySignatures?.keys);
    if (!files || files.length === 0) return undefined;
    if (!this.source.commitObject) return { trusted: false, reason: `${this.source.describe()} has no commits to verify; signature verification needs a Git repository` };
    const key = `${revision}\0${await fingerprint(files)}`;
    const known = this.verdicts.get(key);
    if (known) return known;
    // openpgp is loaded on the first check only: a daemon that verifies nothing never pays its memory.
    const [{ readTrustedKeys }, { verifyCommitObject }] = await Promise.all([import('../../sync/signatures/trusted-keys.js'), import('../../sync/signatures/verify-commit.js')]);
    const verdict = await verifyCommitObject(await this.source.commitObject(revision), await readTrustedKeys(files));
    if (this.verdicts.size >= CACHE_LIMIT) this.verdicts.delete(this.verdicts.keys().next().value as string);
    this.verdicts.set(key, verdict);
    return verdict;
  }

  /**
   * Like check(), but failing closed: an unreadable key file refuses the commit (with that
   * reason) rather than letting it through. `firstRefusal` is true once per refused head.
   */
  async admit(revision: string, trusted: ClusterSpec | undefined, candidate: () => Promise<ClusterSpec | undefined>): Promise<{ verdict: SignatureVerdict | undefined; firstRefusal: boolean }> {
    let verdict: SignatureVerdict | undefined;
    try {
      verdict = await this.check(revision, trusted, candidate);
    } catch (err) {
      verdict = { trusted: false, reason: (err as Error).message };
    }
    if (!verdict || verdict.trusted || this.announced.has(revision)) return { verdict, firstRefusal: false };
    if (this.announced.size >= CACHE_LIMIT) this.announced.clear();
    this.announced.add(revision);
    return { verdict, firstRefusal: true };
  }
}

/** Paths and modification times: a rotated key file is read again. */
async function fingerprint(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(files.map(async (f) => `${f}@${await stat(f).then((s) => s.mtimeMs, () => 'missing')}`));
  return parts.join('\0');
}
