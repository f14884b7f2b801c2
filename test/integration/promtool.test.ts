// The shipped alert rules are valid Prometheus rules and behave as their promtool unit tests
// say (deploy/prometheus/alerts.test.yml). promtool comes from Debian's `prometheus`
// package; under CI=true a missing promtool fails the test instead of skipping it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';
import { run } from '../support/exec.js';
import { which } from '../support/requirements.js';

const RULES_DIR = join(packageRoot(), 'deploy', 'prometheus');

function requirePromtool(t: TestContext): string | undefined {
  const promtool = which('promtool');
  if (promtool) return promtool;
  const message = 'promtool is not installed (Debian package prometheus)';
  if (process.env.CI === 'true') throw new Error(`${message}; CI=true: a missing requirement fails instead of skipping`);
  t.skip(message);
  return undefined;
}

test('promtool check rules accepts deploy/prometheus/alerts.yml', async (t) => {
  const promtool = requirePromtool(t);
  if (!promtool) return;
  const { stdout } = await run(promtool, ['check', 'rules', join(RULES_DIR, 'alerts.yml')], { timeoutMs: 30_000 });
  assert.match(stdout, /SUCCESS: \d+ rules found/);
});

test('promtool test rules: every alert fires on its situation and stays quiet on the harmless ones', async (t) => {
  const promtool = requirePromtool(t);
  if (!promtool) return;
  // promtool resolves rule_files relative to the test file, so run it from that directory.
  const { stdout } = await run(promtool, ['test', 'rules', 'alerts.test.yml'], { cwd: RULES_DIR, timeoutMs: 60_000 });
  assert.match(stdout, /SUCCESS/);
});

test('promtool check config accepts the example deploy/prometheus/prometheus.yml with its rules', async (t) => {
  const promtool = requirePromtool(t);
  if (!promtool) return;
  const { stdout } = await run(promtool, ['check', 'config', 'prometheus.yml'], { cwd: RULES_DIR, timeoutMs: 30_000 });
  assert.match(stdout, /SUCCESS: \d+ rules found/);
});
