// Shared helpers of the review tests: a config repository built with isomorphic-git (no git
// binary, no network), cluster files in a few lines, and an in-memory forge that keeps
// statuses and comments the way GitHub does.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import type { CommitStatus, ReviewPoster } from '../../../src/review/poster.js';

const author = { name: 'Dev', email: 'dev@example.invalid', timestamp: 1_700_000_000, timezoneOffset: 0 };
const roots: string[] = [];

export function cleanup(): void {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
}

export interface NodeDecl {
  name: string;
  endpoint: string;
}

export interface ClusterDecl {
  name?: string;
  nodes: NodeDecl[];
  /** Service name to [image, replicas]. */
  services: Record<string, [string, number]>;
  /** Raw text of the compose file, for broken commits. */
  composeText?: string;
}

export function clusterFiles(c: ClusterDecl): Record<string, string> {
  const name = c.name ?? 'prod';
  const cluster = [
    'apiVersion: flotilla/v1alpha1',
    'kind: Cluster',
    `metadata: { name: ${name} }`,
    'spec:',
    '  nodes:',
    ...c.nodes.map((n) => `    - { name: ${n.name}, endpoint: "${n.endpoint}" }`),
    '  stacks:',
    '    - { name: shop, compose: stacks/shop/compose.yaml }',
    '',
  ].join('\n');
  const compose = c.composeText ?? `services:\n${Object.entries(c.services).map(([svc, [image, replicas]]) => `  ${svc}:\n    image: ${image}\n    deploy: { replicas: ${replicas} }\n`).join('')}`;
  return { [`clusters/${name}/cluster.yaml`]: cluster, 'stacks/shop/compose.yaml': compose };
}

/** An engine: swarm cluster with one node and stack shop; service name to [image, replicas]. */
export function swarmClusterFiles(services: Record<string, [string, number]>, manager = 'tcp://swarm-manager.test:2375'): Record<string, string> {
  const cluster = [
    'apiVersion: flotilla/v1alpha1',
    'kind: Cluster',
    'metadata: { name: sw }',
    'spec:',
    '  engine: swarm',
    `  swarm: { manager: ["${manager}"] }`,
    '  nodes:',
    '    - { name: n1 }',
    '  stacks:',
    '    - { name: shop, compose: stacks/shop/compose.yaml }',
    '',
  ].join('\n');
  const compose = `services:\n${Object.entries(services).map(([svc, [image, replicas]]) => `  ${svc}:\n    image: ${image}\n    deploy: { replicas: ${replicas} }\n`).join('')}`;
  return { 'clusters/sw/cluster.yaml': cluster, 'stacks/shop/compose.yaml': compose };
}

export class LocalRepo {
  private constructor(readonly dir: string) {}

  static async create(): Promise<LocalRepo> {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-review-'));
    roots.push(dir);
    await git.init({ fs, dir, defaultBranch: 'main' });
    return new LocalRepo(dir);
  }

  /** Commits on the checked-out branch (main unless moved) and returns the sha. */
  async commit(files: Record<string, string>, message: string): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, path)), { recursive: true });
      writeFileSync(join(this.dir, path), content);
      await git.add({ fs, dir: this.dir, filepath: path });
    }
    return git.commit({ fs, dir: this.dir, message, author, committer: author });
  }

  /** A commit that is not on main, only under `ref` (as a forge keeps refs/pull/N/head). */
  async commitOnRef(ref: string, files: Record<string, string>, message: string): Promise<string> {
    const main = await git.resolveRef({ fs, dir: this.dir, ref: 'refs/heads/main' });
    const sha = await this.commit(files, message);
    await git.writeRef({ fs, dir: this.dir, ref, value: sha, force: true });
    await git.writeRef({ fs, dir: this.dir, ref: 'refs/heads/main', value: main, force: true });
    await git.checkout({ fs, dir: this.dir, ref: 'main', force: true });
    return sha;
  }
}

export interface PostedStatus extends CommitStatus {
  repository: string;
  sha: string;
}

/** A forge in memory: statuses in order, and comments by id (edits replace the body). */
export class FakeForge implements ReviewPoster {
  readonly limits = { statusDescription: 140, commentBody: 65_536 };
  readonly statuses: PostedStatus[] = [];
  readonly comments = new Map<number, { repository: string; number: number; body: string; edits: number }>();
  private nextId = 1;

  async setStatus(repository: string, sha: string, status: CommitStatus): Promise<void> {
    this.statuses.push({ repository, sha, ...status });
  }

  async upsertComment(repository: string, number: number, marker: string, body: string): Promise<'created' | 'updated'> {
    for (const c of this.comments.values()) {
      if (c.repository === repository && c.number === number && c.body.startsWith(marker)) {
        c.body = body;
        c.edits++;
        return 'updated';
      }
    }
    this.comments.set(this.nextId++, { repository, number, body, edits: 0 });
    return 'created';
  }

  /** Final statuses by sha (the last one set wins, as on GitHub). */
  latest(sha: string, context = 'flotilla/plan'): PostedStatus | undefined {
    return this.statuses.filter((s) => s.sha === sha && s.context === context).at(-1);
  }
}
