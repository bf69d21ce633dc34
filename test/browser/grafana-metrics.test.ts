import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import { ROOT, until } from '../lab/helpers.js';

/**
 * docs/grafana/sluice-lab.json queries only metrics a running lab exposes: every metric name in every
 * PromQL expression (panels and annotations) must appear in /metrics of the monitor, the producer or
 * a consumer, the three jobs docs/grafana/prometheus.yml scrapes.
 */

const DASHBOARD = join(ROOT, 'docs', 'grafana', 'sluice-lab.json');
const SCRAPE = join(ROOT, 'docs', 'grafana', 'prometheus.yml');

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
  'le',
  'inf',
  'nan',
]);

/** Metric names in a PromQL expression: identifiers that are not functions, labels, keywords or durations. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\()?)/g)) {
    const word = m[0];
    if (m[1] === '(') continue;
    if (PROMQL_WORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

function expressions(dashboard: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'expr' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(dashboard);
  return out;
}

function exposes(text: string, name: string): boolean {
  const lines = text.split('\n');
  const family = name.replace(/_(bucket|sum|count)$/, '');
  return lines.some(
    (l) =>
      l.startsWith(`${name} `) ||
      l.startsWith(`${name}{`) ||
      l.startsWith(`# TYPE ${name} `) ||
      (family !== name && l.startsWith(`# TYPE ${family} histogram`)),
  );
}

describe('Grafana dashboard over the lab metrics', () => {
  let lab: Lab;
  let scraped: string;

  beforeAll(async () => {
    lab = await Lab.start({
      memory: true,
      ports: { broker: 0, producer: 0, consumer: 0, monitor: 0 },
      processingTimeMs: 5,
      monitorIntervalMs: 200,
    });
    const u = lab.urls;
    await fetch(`${u.producer}/produce/batch?count=20`, { method: 'POST' });
    await until('a collected lag report', async () => {
      const r = (await (await fetch(`${u.monitor}/lag`)).json()) as { collection: { cycles: number } };
      return r.collection.cycles >= 3 ? true : undefined;
    });
    const texts = await Promise.all(
      [u.monitor, u.producer, ...u.consumers].map(async (base) => (await fetch(`${base}/metrics`)).text()),
    );
    scraped = texts.join('\n');
  }, 60_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('finds metric names in PromQL', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum(rate(x_seconds_bucket{a="b"}[1m])) by (le)) + on(group) y_total > 2',
      ).sort(),
    ).toEqual(['x_seconds_bucket', 'y_total']);
  });

  it('queries only metrics the lab exposes', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    const exprs = expressions(dashboard);
    expect(exprs.length).toBeGreaterThan(10);
    const names = [...new Set(exprs.flatMap(metricNames))].sort();
    expect(names.length).toBeGreaterThan(10);
    const missing = names.filter((n) => !exposes(scraped, n));
    expect(missing, `queried by the dashboard but absent from /metrics: ${missing.join(', ')}`).toEqual([]);
  });

  it('scrapes the three lab services on their default ports', () => {
    const cfg = readFileSync(SCRAPE, 'utf8');
    for (const target of ['127.0.0.1:8010', '127.0.0.1:8000', '127.0.0.1:8001'])
      expect(cfg).toContain(target);
  });
});
