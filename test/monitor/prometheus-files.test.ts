import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { MONITOR_DEFAULTS } from '../../src/monitor/config.js';
import { promtool } from '../helpers/prometheus.js';
import {
  allExprStrings,
  DASHBOARD_FILE,
  dashboardQueries,
  dashboardVariables,
  documentedMetrics,
  labelsUsed,
  legendLabels,
  metricNames,
  parseLabelValues,
  RULES_FILE,
  RULES_TEST_FILE,
  readAlertRules,
  readDashboard,
  SCRAPE_FILE,
} from '../helpers/promql.js';

/**
 * The shipped Prometheus files without a lab: promtool accepts the scrape config and the alerting rules,
 * the rules' unit tests (sluice-alerts.test.yml, on recorded series) pass and cover every rule, the rules
 * use the monitor's thresholds, and every metric and label the dashboard and the rules name is in the
 * catalogue of docs/monitor.md. test/e2e/prometheus.test.ts holds that catalogue against a running lab.
 */

/** Labels Prometheus itself adds or a histogram's buckets carry. */
const IMPLICIT_LABELS = ['job', 'instance', 'le', 'alertname'];

/** Metric and labels an expression uses that the catalogue does not list ("name" or "name{label}"). */
function undocumented(expr: string, extraLabels: string[]): string[] {
  const catalogue = new Map(documentedMetrics().map((m) => [m.name, m]));
  const entry = (name: string) =>
    catalogue.get(name) ?? catalogue.get(name.replace(/_(bucket|sum|count)$/, ''));
  const problems: string[] = [];
  const names = metricNames(expr);
  for (const n of names) if (!entry(n)) problems.push(n);
  const { selectors, grouping } = labelsUsed(expr);
  for (const [name, labels] of selectors)
    for (const l of labels)
      if (entry(name) && !entry(name)?.labels.includes(l) && !IMPLICIT_LABELS.includes(l))
        problems.push(`${name}{${l}}`);
  const anyMetricHas = (l: string) =>
    IMPLICIT_LABELS.includes(l) || names.some((n) => entry(n)?.labels.includes(l));
  for (const l of [...grouping, ...extraLabels])
    if (!anyMetricHas(l)) problems.push(`${names.join('|')}{${l}}`);
  return problems;
}

describe('the shipped Prometheus files', () => {
  it('finds metric names and labels in PromQL', () => {
    const expr =
      'histogram_quantile(0.99, sum(rate(x_seconds_bucket{a="b", c=~"d"}[1m])) by (le)) + on(group) y_total > 2';
    expect(metricNames(expr).sort()).toEqual(['x_seconds_bucket', 'y_total']);
    const used = labelsUsed(expr);
    expect([...(used.selectors.get('x_seconds_bucket') ?? [])]).toEqual(['a', 'c']);
    expect([...used.grouping].sort()).toEqual(['group', 'le']);
    expect(legendLabels('{{topic}}-{{ partition }} {{ $labels.group }}')).toEqual([
      'topic',
      'partition',
      'group',
    ]);
  });

  it('promtool accepts the scrape configuration and the rule file it loads', () => {
    const r = promtool(['check', 'config', SCRAPE_FILE]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(RULES_FILE.split('/').pop());
  });

  it('promtool accepts every alerting rule', () => {
    const r = promtool(['check', 'rules', RULES_FILE]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${readAlertRules().length} rules found`);
  });

  it('the rules pass their unit tests on recorded series, and each rule fires in one of them', () => {
    const r = promtool(['test', 'rules', RULES_TEST_FILE]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
    const tests = parseYaml(readFileSync(RULES_TEST_FILE, 'utf8')) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const fired = new Set(
      tests.tests.flatMap((t) =>
        (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    const untested = readAlertRules()
      .map((rule) => rule.alert)
      .filter((a) => !fired.has(a));
    expect(untested, 'rules no unit test shows firing').toEqual([]);
  });

  it("the lag rules use the monitor's thresholds", () => {
    // The rule over a metric compares it with the monitor's own default for that figure.
    const thresholds: Record<string, number> = {
      kafka_consumer_group_lag_total: MONITOR_DEFAULTS.criticalLag,
      kafka_lag_rate_of_change: MONITOR_DEFAULTS.warningRate,
    };
    for (const [metric, threshold] of Object.entries(thresholds)) {
      const rules = readAlertRules().filter((r) => metricNames(r.expr).includes(metric));
      expect(rules.length, `a rule over ${metric}`).toBe(1);
      expect(Number(/>\s*([\d.]+)\s*$/.exec(rules[0].expr)?.[1]), rules[0].expr).toBe(threshold);
    }
  });

  it('every metric and label the dashboard uses is in the catalogue of docs/monitor.md', () => {
    const dashboard = readDashboard();
    const queries = dashboardQueries(dashboard);
    // dashboardQueries finds every expression the JSON holds (the e2e test evaluates each of them).
    expect(queries.map((q) => q.expr).sort()).toEqual(allExprStrings(dashboard).sort());
    expect(queries.length).toBeGreaterThan(20);
    const problems = queries.flatMap((q) =>
      undocumented(q.expr, legendLabels(q.legend)).map((p) => `${q.name}: ${p}`),
    );
    for (const v of dashboardVariables(dashboard)) {
      const { match, label } = parseLabelValues(v.query);
      problems.push(...undocumented(match, [label]).map((p) => `variable $${v.name}: ${p}`));
    }
    expect(problems, `in ${DASHBOARD_FILE}`).toEqual([]);
  });

  it('every metric and label the alerting rules use is in the catalogue of docs/monitor.md', () => {
    const problems = readAlertRules().flatMap((r) => {
      const printed = Object.values(r.annotations ?? {}).flatMap(legendLabels);
      return undocumented(r.expr, printed).map((p) => `${r.alert}: ${p}`);
    });
    expect(problems).toEqual([]);
  });

  it('the catalogue names each metric once, with a known service, type and origin', () => {
    const docs = documentedMetrics();
    expect(docs.length).toBeGreaterThan(20);
    expect(new Set(docs.map((m) => m.name)).size).toBe(docs.length);
    for (const m of docs) {
      expect(['monitor', 'producer', 'consumer'], m.name).toContain(m.service);
      expect(['gauge', 'counter', 'histogram'], m.name).toContain(m.type);
      expect(['seed lab', 'kafka-lag-exporter', 'Sluice'], m.name).toContain(m.origin);
      expect(m.help.length, m.name).toBeGreaterThan(5);
    }
  });
});
