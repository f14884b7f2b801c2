#!/usr/bin/env node
// Runs the compiled test files with node:test. Node 20's `--test` takes no globs, so the
// files are collected here. `node test/run.js [unit|abuse|integration|chaos]` narrows the run.
// Integration files run one at a time: each starts real Docker daemons and they share
// the machine's two cores.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const kinds = process.argv[2] ? [process.argv[2]] : ['unit', 'abuse', 'integration', 'chaos'];

function collect(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out = out.concat(collect(full));
    else if (name.endsWith('.test.js')) out.push(full);
  }
  return out;
}

const files = kinds.flatMap((kind) => collect(join(root, kind)));
if (files.length === 0) {
  console.error(`no compiled test files under ${root} (did the build run?)`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
