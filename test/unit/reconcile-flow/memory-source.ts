// An in-memory GitSource: commits are maps of files, the branch head is a pointer tests
// move. Lets the reconciler's commit lifecycle be tested without a Git server.
import type { FetchResult, GitSource } from '../../../src/sync/git-source.js';
import type { RepoReader } from '../../../src/manifests/repo-reader.js';

export class MemorySource implements GitSource {
  readonly kind = 'remote' as const;
  private readonly commits = new Map<string, Record<string, string>>();
  private head: string | undefined;
  private seq = 0;
  unreachable = false;
  fetches = 0;

  /** Adds a commit on top of the head with `changes` applied (null deletes); returns its id. */
  commit(changes: Record<string, string | null>): string {
    const base = this.head ? { ...this.commits.get(this.head) } : {};
    for (const [path, content] of Object.entries(changes)) {
      if (content === null) delete base[path];
      else base[path] = content;
    }
    const revision = `c${String(++this.seq).padStart(3, '0')}`.padEnd(40, '0');
    this.commits.set(revision, base);
    this.head = revision;
    return revision;
  }

  async fetch(): Promise<FetchResult> {
    this.fetches++;
    if (this.unreachable) throw Object.assign(new Error('git server unreachable'), { code: 'GIT_UNREACHABLE' });
    if (!this.head) throw new Error('no commits');
    return { revision: this.head };
  }

  async reader(revision: string): Promise<RepoReader> {
    const files = this.commits.get(revision);
    if (!files) throw new Error(`unknown revision ${revision}`);
    return {
      revision,
      readFile: async (path) => (files[path] === undefined ? undefined : Buffer.from(files[path] as string)),
      listDir: async (dir) => [...new Set(Object.keys(files).filter((p) => p.startsWith(dir + '/')).map((p) => p.slice(dir.length + 1).split('/')[0] as string))].sort(),
    };
  }

  async fetchRef(): Promise<string> {
    throw new Error('not used');
  }

  describe(): string {
    return 'memory';
  }
}
