// Shared helpers of the manifest tests: finding fixtures (which are not compiled, so they
// are looked up from the repo root whether the test runs from test/ or dist/test/),
// in-memory repos, and an assertion that pins every problem of a load.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDesiredState, type LoadResult } from '../../../src/manifests/load.js';
import type { ManifestProblem } from '../../../src/manifests/problems.js';
import { directoryReader, type RepoReader } from '../../../src/manifests/repo-reader.js';

/** The directory holding package.json, walking up from this (possibly compiled) file. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (package.json)');
    dir = parent;
  }
  return dir;
}

export const FIXTURES = join(repoRoot(), 'test', 'fixtures');

export function fixturePath(kind: 'broken' | 'valid', name: string): string {
  return join(FIXTURES, kind, name);
}

/** Loads test/fixtures/<kind>/<name> as a plain directory (cluster `clusters/c` unless told). */
export async function loadFixture(kind: 'broken' | 'valid', name: string, clusterPath = 'clusters/c'): Promise<LoadResult> {
  return loadDesiredState(await directoryReader(fixturePath(kind, name)), clusterPath);
}

/** A repo held in memory, for tests that build their files inline. */
export function memoryReader(files: Record<string, string | Buffer>, revision = 'memory'): RepoReader {
  return {
    revision,
    async readFile(path) {
      const content = files[path];
      return content === undefined ? undefined : Buffer.from(content);
    },
    async listDir(path) {
      const prefix = path.replace(/\/$/, '') + '/';
      return [...new Set(Object.keys(files).filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length).split('/')[0] as string))].sort();
    },
  };
}

export const CLUSTER = `apiVersion: flotilla/v1alpha1
kind: Cluster
metadata:
  name: c
spec:
  nodes:
    - name: node-a
      endpoint: unix:///var/run/docker.sock
      labels: { zone: a, role: web }
    - name: node-b
      endpoint: tcp://10.0.0.2:2376
      labels: { zone: b, role: db }
  stacks:
    - name: app
      compose: stacks/app/compose.yaml
`;

/** Loads a one-stack repo (stack `app`) from inline files. */
export async function loadInline(compose: string, extra: Record<string, string> = {}, cluster = CLUSTER): Promise<LoadResult> {
  return loadDesiredState(memoryReader({ 'clusters/c/cluster.yaml': cluster, 'stacks/app/compose.yaml': compose, ...extra }), 'clusters/c');
}

export interface Expected {
  file: string;
  line: number;
  /** Omitted where the column says nothing useful (whole-line problems). */
  col?: number;
  pointer?: string;
  message: RegExp;
}

/** Exactly these problems, in this order, and no state: an invalid commit is never applied. */
export function assertProblems(result: LoadResult, expected: readonly Expected[]): void {
  const shown = result.problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.pointer} ${p.message}`).join('\n');
  assert.equal(result.state, undefined, 'an invalid repo must not yield a desired state');
  assert.equal(result.problems.length, expected.length, `expected ${expected.length} problem(s), got:\n${shown}`);
  expected.forEach((want, i) => {
    const got = result.problems[i] as ManifestProblem;
    const where = `problem ${i + 1} of:\n${shown}`;
    assert.equal(got.file, want.file, where);
    assert.equal(got.line, want.line, where);
    if (want.col !== undefined) assert.equal(got.col, want.col, where);
    if (want.pointer !== undefined) assert.equal(got.pointer, want.pointer, where);
    assert.match(got.message, want.message, where);
  });
}

export const COMPOSE = 'stacks/app/compose.yaml';
export const CLUSTER_FILE = 'clusters/c/cluster.yaml';

/** One case of the broken corpus: test/fixtures/broken/<name> fails with exactly `expected`. */
export function brokenCase(name: string, behaviour: string, expected: readonly Expected[]): void {
  test(`${behaviour} [broken/${name}]`, async () => {
    assertProblems(await loadFixture('broken', name), expected);
  });
}
