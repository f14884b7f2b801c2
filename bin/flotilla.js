#!/usr/bin/env node
// Entry point of the `flotilla` command: the compiled CLI lives in dist/ (npm run build).
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`flotilla: ${err instanceof Error ? err.message : String(err)}`); process.exitCode = 1; },
);
