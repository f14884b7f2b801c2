// The alert rules name metrics and labels of the contract; a rename in one place and not the
// other would leave an alert that can never fire, silently. Every rule is also tested by
// promtool (test/integration/promtool.test.ts); this check needs no Prometheus installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FlotillaMetrics } from '../../../src/metrics.js';
import { packageRoot } from '../../../src/package-root.js';

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dir = join(packageRoot(), 'deploy', 'prometheus');
const rules = (parse(readFileSync(join(dir, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const testsText = readFileSync(join(dir, 'alerts.test.yml'), 'utf8');

test('alert rules only use metrics and labels that Flotilla exports', async () => {
  const metrics = new FlotillaMetrics(false);
  const exported = new Map<string, string[]>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    const labels = new Set<string>();
    for (const v of m.values as Array<{ labels: Record<string, unknown> }>) for (const l of Object.keys(v.labels)) labels.add(l);
    exported.set(m.name, [...labels]);
  }
  // Label-less series exist only once set: name the label sets of the contract for the rest.
  const known: Record<string, string[]> = {
    flotilla_service_in_sync: ['stack', 'service'],
    flotilla_drift_containers: ['stack', 'service', 'node', 'kind'],
    flotilla_revision_info: ['revision', 'state'],
    flotilla_node_up: ['node'],
    flotilla_webhook_requests_total: ['provider', 'result'],
    flotilla_notifications_total: ['provider', 'result'],
  };
  const scrapeLabels = ['job', 'instance'];
  for (const rule of rules) {
    const text = `${rule.expr}\n${Object.values(rule.annotations ?? {}).join('\n')}`;
    for (const match of text.matchAll(/\b(flotilla_[a-z_]+)(\{[^}]*\})?/g)) {
      const name = match[1] as string;
      assert.ok(exported.has(name), `${rule.alert} uses ${name}, which Flotilla does not export`);
      const allowed = new Set([...(exported.get(name) ?? []), ...(known[name] ?? []), ...scrapeLabels]);
      for (const label of (match[2] ?? '').matchAll(/([a-z_]+)\s*(=~|!=|!~|=)/g)) {
        assert.ok(allowed.has(label[1] as string), `${rule.alert} matches ${name} on label ${label[1]}, which it does not have`);
      }
    }
  }
});

test('every alert has a severity, a summary and an actionable description, and a promtool test', () => {
  assert.ok(rules.length >= 6);
  for (const rule of rules) {
    assert.match(rule.labels?.severity ?? '', /^(critical|warning)$/, `${rule.alert} severity`);
    assert.ok((rule.annotations?.summary ?? '').length > 10, `${rule.alert} summary`);
    assert.ok((rule.annotations?.description ?? '').length > 100, `${rule.alert} description`);
    assert.ok(testsText.includes(`alertname: ${rule.alert}\n`), `${rule.alert} has a promtool test`);
  }
  for (const required of ['FlotillaDriftPersists', 'FlotillaReconcileFailing', 'FlotillaReverted', 'FlotillaNodeDown', 'FlotillaGitFetchFailing', 'FlotillaNoSuccessfulReconcile']) {
    assert.ok(rules.some((r) => r.alert === required), `${required} is shipped`);
  }
});
