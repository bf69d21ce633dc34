import { STRATEGIES } from '../types.js';
import type { CapacityReport, StrategyOutcome } from './fraud-detection.js';

/** Left-aligned text table with a header rule. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const BARS = ' ▁▂▃▄▅▆▇█';

/** Resamples a series to `width` points: the maximum of each bucket (peaks survive) or its mean. */
export function resample(series: readonly number[], width: number, how: 'max' | 'mean' = 'max'): number[] {
  if (series.length <= width) return [...series];
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const from = Math.floor((i * series.length) / width);
    const to = Math.max(from + 1, Math.floor(((i + 1) * series.length) / width));
    const bucket = series.slice(from, to);
    out.push(how === 'max' ? Math.max(...bucket) : bucket.reduce((a, b) => a + b, 0) / bucket.length);
  }
  return out;
}

/** One line of block characters, scaled to `max` (each character is the mean of its stretch). */
export function sparkline(series: readonly number[], max: number, width = 60): string {
  return resample(series, width, 'mean')
    .map((v) => BARS[Math.max(0, Math.min(BARS.length - 1, Math.round((v / max) * (BARS.length - 1))))])
    .join('');
}

/** A small multi-row ASCII chart with a labelled y axis. */
export function chart(
  series: readonly number[],
  max: number,
  options: { width?: number; height?: number; marks?: Record<string, number> } = {},
): string {
  const width = options.width ?? 60;
  const height = options.height ?? 8;
  // Rows holding a marked level (e.g. the watermarks) get its letter on the axis.
  const markAt = new Map<number, string>();
  for (const [letter, value] of Object.entries(options.marks ?? {})) {
    markAt.set(Math.max(1, Math.min(height, Math.round((value / max) * height + 0.5))), letter);
  }
  const points = resample(series, width);
  const label = (v: number) => String(Math.round(v)).padStart(String(max).length);
  const rows: string[] = [];
  for (let r = height; r >= 1; r--) {
    const threshold = ((r - 0.5) / height) * max;
    const cells = points.map((v) => (v >= threshold ? '█' : ' ')).join('');
    const axis = r === height ? label(max) : r === 1 ? label(0) : ' '.repeat(String(max).length);
    rows.push(`${axis} ${markAt.get(r) ?? '|'}${cells}`);
  }
  rows.push(`${' '.repeat(String(max).length)} +${'-'.repeat(points.length)}`);
  return rows.join('\n');
}

const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

/**
 * The comparison's columns with the widths they are padded to, fixed up front so the table can be
 * printed a row at a time as each strategy finishes (a longer cell widens its own row only).
 */
const OUTCOME_COLUMNS: [header: string, width: number][] = [
  ['strategy', Math.max(...STRATEGIES.map((s) => s.length))],
  ['throughput', 10],
  ['p50 latency', 11],
  ['p99 latency', 11],
  ['max queue', 9],
  ['dropped', 7],
  ['lost txns', 9],
  ['src backpressured', 17],
  ['thrashing', 30],
  ['bottleneck', 18],
];

const padded = (cells: string[]) =>
  cells
    .map((c, i) => c.padEnd(Math.max(OUTCOME_COLUMNS[i][0].length, OUTCOME_COLUMNS[i][1])))
    .join('  ')
    .trimEnd();

/** The comparison table's header and rule. */
export function outcomeTableHead(): string {
  const rule = OUTCOME_COLUMNS.map(([h, w]) => '-'.repeat(Math.max(h.length, w)));
  return [padded(OUTCOME_COLUMNS.map(([h]) => h)), rule.join('  ')].join('\n');
}

/** One strategy's row of the comparison table. */
export function outcomeRow(o: StrategyOutcome): string {
  return padded([
    o.strategy,
    `${o.throughput.toFixed(1)}/s`,
    ms(o.latencyP50Ms),
    ms(o.latencyP99Ms),
    `${o.maxQueueDepth}/${o.queueCapacity}`,
    String(o.dropped),
    String(o.lost),
    `${Math.round(o.sourceBackpressure * 100)}%`,
    o.thrashing,
    o.bottleneck,
  ]);
}

/** The side-by-side comparison the example prints. */
export function formatOutcomes(outcomes: readonly StrategyOutcome[], slowInstance: string): string {
  return [outcomeTableHead(), ...outcomes.map(outcomeRow), formatQueueCharts(outcomes, slowInstance)].join(
    '\n',
  );
}

/** What follows the table: each strategy's queue depth over the run, and stop-sources' in detail. */
export function formatQueueCharts(outcomes: readonly StrategyOutcome[], slowInstance: string): string {
  const parts = [
    '',
    `mean queue depth of ${slowInstance} over the run (0..capacity):`,
    ...outcomes.map((o) => `  ${o.strategy.padEnd(13)} ${sparkline(o.depthSeries, o.queueCapacity)}`),
  ];
  const thrashing = outcomes.find((o) => o.strategy === 'stop-sources');
  if (thrashing) {
    parts.push('', `stop-sources, ${slowInstance} queue depth (H: declare at 80%, L: relieve at 30%):`);
    const cap = thrashing.queueCapacity;
    parts.push(
      chart(thrashing.depthSeries.slice(0, 80), cap, {
        width: 80,
        height: 8,
        marks: { H: cap * 0.8, L: cap * 0.3 },
      }),
    );
    parts.push(
      `  (first ${Math.round((Math.min(80, thrashing.depthSeries.length) * thrashing.durationMs) / Math.max(1, thrashing.depthSeries.length) / 1000)} s)`,
    );
  }
  return parts.join('\n');
}

const pct = (v: number, digits = 0) => `${(v * 100).toFixed(digits)}%`;
const rate = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'unbounded');

/**
 * The chapter's terms for one run: every instance's capacity (items per busy second), utilisation and
 * headroom, its capacity in the job's unit (transactions/s), and the job's capacity as the minimum.
 */
export function formatCapacity(strategy: string, c: CapacityReport): string {
  const rows = c.instances.map((i) => [
    i.id,
    i.capacityPerSecond.toFixed(1),
    pct(i.utilization),
    pct(i.headroom),
    i.itemsPerTransaction.toFixed(3),
    rate(i.jobCapacity),
  ]);
  return [
    `capacity under ${strategy}, measured over the run:`,
    table(['instance', 'capacity/s', 'utilisation', 'headroom', 'items/txn', 'job capacity txn/s'], rows),
    `job capacity: ${rate(c.jobCapacity)} txn/s, the minimum over its instances (${c.limitedBy}); ` +
      `offered ${rate(c.offered)} txn/s; job headroom ${pct(c.headroom)} (the minimum over its instances)`,
  ].join('\n');
}

/**
 * The error under a strategy, as the chapter counts it: the share of events (scores) discarded. In this
 * job a transaction needs all three of its scores, so one discarded score leaves it undecided: the
 * undecided share is printed beside it.
 */
export function formatError(o: StrategyOutcome): string {
  return (
    `error under ${o.strategy}: ${pct(o.droppedShare, 2)} of the scores sent to the aggregator discarded; ` +
    `${pct(o.lostShare, 2)} of transactions undecided (${o.lost} of ${o.read}: a discarded score loses its transaction)`
  );
}
