// Makes commits in a test repository the way a developer would: with the real git CLI in a
// working copy, pushed to the bare repository through the filesystem. (The product under
// test only ever clones and fetches over HTTP.)
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { run } from './exec.js';

/** Path (relative to the repo root) to content; null deletes the file. */
export type FileChanges = Record<string, string | null>;

export interface CommitOptions {
  /** Branch to commit to (default main); created from `from` when it does not exist yet. */
  branch?: string;
  /** Base of a new branch (default main). */
  from?: string;
  /** `git -c` settings for the commit, e.g. signing (see signing.ts). */
  gitConfig?: Record<string, string>;
}

export interface WorkCopy {
  dir: string;
  bareRepo: string;
  /** A HOME with no config, so the machine's ~/.gitconfig cannot change the commits. */
  home: string;
}

export function gitEnv(home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Flotilla Test',
    GIT_AUTHOR_EMAIL: 'test@flotilla.invalid',
    GIT_COMMITTER_NAME: 'Flotilla Test',
    GIT_COMMITTER_EMAIL: 'test@flotilla.invalid',
  };
}

function safePath(root: string, path: string): string {
  const rel = normalize(path);
  if (isAbsolute(rel) || rel === '..' || rel.startsWith('../') || rel === '.' || rel.startsWith('.git/') || rel === '.git') {
    throw new Error(`commitFiles: refusing path ${JSON.stringify(path)}`);
  }
  return join(root, rel);
}

async function remoteBranchExists(wc: WorkCopy, branch: string): Promise<boolean> {
  const { stdout } = await run('git', ['-C', wc.dir, 'branch', '-r', '--list', `origin/${branch}`], { env: gitEnv(wc.home) });
  return stdout.trim() !== '';
}

/** Commits `files` on top of the bare repository's branch and pushes; returns the sha. */
export async function commitFiles(wc: WorkCopy, files: FileChanges, message: string, opts: CommitOptions = {}): Promise<string> {
  const branch = opts.branch ?? 'main';
  const from = opts.from ?? 'main';
  const env = gitEnv(wc.home);
  const git = (...args: string[]): Promise<{ stdout: string }> => run('git', ['-C', wc.dir, ...args], { env });

  if (!existsSync(wc.dir)) {
    mkdirSync(wc.home, { recursive: true });
    await run('git', ['init', '-q', '-b', branch, wc.dir], { env });
    await git('remote', 'add', 'origin', wc.bareRepo);
  }
  // Always start from what the bare repository has now: a test may have pushed elsewhere.
  await git('fetch', '-q', '--prune', 'origin');
  if (await remoteBranchExists(wc, branch)) {
    await git('checkout', '-q', '-f', '-B', branch, `origin/${branch}`);
  } else if (await remoteBranchExists(wc, from)) {
    await git('checkout', '-q', '-f', '-B', branch, `origin/${from}`);
  } else {
    await git('checkout', '-q', '-f', '--orphan', branch);
    await git('rm', '-r', '-q', '-f', '--ignore-unmatch', '.');
  }
  await git('clean', '-q', '-f', '-d', '-x');

  for (const [path, content] of Object.entries(files)) {
    const full = safePath(wc.dir, path);
    if (content === null) {
      rmSync(full, { force: true });
    } else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
  await git('add', '-A');
  const config = Object.entries(opts.gitConfig ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  await git(...config, 'commit', '-q', '--allow-empty', '-m', message);
  await git('push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
  return (await git('rev-parse', 'HEAD')).stdout.trim();
}
