import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../lab/helpers.js';

/**
 * What the shipped Prometheus files say, read from the files themselves so the tests never hold a copy
 * of a query: the Grafana dashboard's expressions with their legends and variables, the alerting rules,
 * and the metric catalogue of docs/monitor.md. Plus the little PromQL reading the checks need (metric
 * names, the labels an expression or a legend uses).
 */

export const GRAFANA_DIR = join(ROOT, 'docs', 'grafana');
export const DASHBOARD_FILE = join(GRAFANA_DIR, 'sluice-lab.json');
export const SCRAPE_FILE = join(GRAFANA_DIR, 'prometheus.yml');
export const RULES_FILE = join(GRAFANA_DIR, 'sluice-alerts.yml');
export const RULES_TEST_FILE = join(GRAFANA_DIR, 'sluice-alerts.test.yml');
export const METRICS_DOC = join(ROOT, 'docs', 'monitor.md');

// biome-ignore lint/suspicious/noExplicitAny: Grafana's JSON model, read field by field below
type GrafanaJson = any;

export interface DashboardQuery {
  /** "<panel title> · <legend>" or "annotation · <name>": how failures and the report name it. */
  name: string;
  expr: string;
  /** Grafana's legend template ("{{topic}}-{{partition}}"); "" for annotations. */
  legend: string;
}

export interface DashboardVariable {
  name: string;
  /** Its query as Grafana's Prometheus data source takes it (label_values(...)). */
  query: string;
  /** What `$name` becomes when "All" is selected. */
  allValue: string;
}

export function readDashboard(): GrafanaJson {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
}

/** Every panel target (rows' panels included) and every annotation query of the dashboard. */
export function dashboardQueries(dashboard: GrafanaJson): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const walk = (panels: GrafanaJson[]) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? [])
        if (typeof t.expr === 'string')
          out.push({
            name: `${p.title} · ${t.legendFormat ?? ''}`,
            expr: t.expr,
            legend: t.legendFormat ?? '',
          });
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  for (const a of dashboard.annotations?.list ?? [])
    if (typeof a.expr === 'string') out.push({ name: `annotation · ${a.name}`, expr: a.expr, legend: '' });
  return out;
}

/** Every string under an `expr` key anywhere in the JSON: the check that dashboardQueries misses none. */
export function allExprStrings(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) allExprStrings(x, out);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      if (k === 'expr' && typeof x === 'string') out.push(x);
      else allExprStrings(x, out);
    }
  return out;
}

export function dashboardVariables(dashboard: GrafanaJson): DashboardVariable[] {
  return (dashboard.templating?.list ?? [])
    .filter((v: GrafanaJson) => v.type === 'query')
    .map((v: GrafanaJson) => ({
      name: v.name,
      query: typeof v.query === 'string' ? v.query : v.query.query,
      allValue: v.allValue ?? '.*',
    }));
}

/** `$name` and `${name}` replaced by the given values (a variable left over is an error). */
export function substituteVariables(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{?([a-zA-Z_]\w*)\}?/g, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`dashboard variable ${whole} in ${expr} has no value`);
    return v;
  });
}

/** label_values(<selector>, <label>) split into its parts. */
export function parseLabelValues(query: string): { match: string; label: string } {
  const m = /^label_values\((.*),\s*([a-zA-Z_]\w*)\s*\)$/.exec(query.trim());
  if (!m) throw new Error(`not a label_values() query: ${query}`);
  return { match: m[1], label: m[2] };
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function readAlertRules(): AlertRule[] {
  const doc = parseYaml(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules).filter((r) => r.alert);
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** Metric names in a PromQL expression: identifiers that are not functions, labels, keywords or durations. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\()?)/g)) {
    if (m[1] === '(' || PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Labels an expression names: in each metric's selector, and in by()/without()/on()/ignoring() for all of them. */
export function labelsUsed(expr: string): { selectors: Map<string, Set<string>>; grouping: Set<string> } {
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const selectors = new Map<string, Set<string>>();
  for (const m of noStrings.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g)) {
    const set = selectors.get(m[1]) ?? new Set<string>();
    for (const l of m[2].matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) set.add(l[1]);
    selectors.set(m[1], set);
  }
  const grouping = new Set<string>();
  for (const m of noStrings.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g))
    for (const l of m[1].split(',').map((s) => s.trim())) if (l) grouping.add(l);
  return { selectors, grouping };
}

/** Labels a Grafana legend or an alert template prints: {{label}} and {{ $labels.label }}. */
export function legendLabels(template: string): string[] {
  return [...template.matchAll(/\{\{\s*(?:\$labels\.)?([a-zA-Z_]\w*)\s*\}\}/g)].map((m) => m[1]);
}

export interface DocumentedMetric {
  name: string;
  service: string;
  type: string;
  labels: string[];
  help: string;
  /** Whose name it is: the seed lab's, kafka-lag-exporter's or Sluice's own. */
  origin: string;
}

/**
 * The table under "## Prometheus metrics" in docs/monitor.md: | `name` | service | type | labels | help | origin |.
 */
export function documentedMetrics(): DocumentedMetric[] {
  const text = readFileSync(METRICS_DOC, 'utf8');
  const section = text.split(/^## Prometheus metrics$/m)[1]?.split(/^## /m)[0];
  if (!section) throw new Error(`${METRICS_DOC} has no "## Prometheus metrics" section`);
  const rows = section
    .split('\n')
    .filter((l) => /^\|\s*`/.test(l))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  return rows.map((cells) => {
    if (cells.length !== 6) throw new Error(`metrics table row with ${cells.length} cells, want 6: ${cells}`);
    const [name, service, type, labels, help, origin] = cells;
    return {
      name: name.replace(/`/g, ''),
      service,
      type,
      labels: labels
        .replace(/`/g, '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      help,
      origin,
    };
  });
}
