import { bytes, int, num } from './format.js';
import type { SimulationResult } from './model.js';

/** A one-line description of the scenario. */
export function describeScenario(r: SimulationResult): string {
  const o = r.options;
  const consumer =
    o.failureRate > 0
      ? `${num(o.consumeRate)} attempts/s with ${num(o.failureRate * 100)}% failing${Number.isFinite(o.maxRetries) ? ` (max ${o.maxRetries} retries)` : ' (retried)'}`
      : `${num(o.consumeRate)} ev/s`;
  const burst = o.burst
    ? ` (bursts of ${num(o.burst.rate)} ev/s for ${num(o.burst.seconds)} s every ${num(o.burst.everySec)} s)`
    : '';
  const cap = Number.isFinite(o.capacity) ? `capacity ${int(o.capacity)}` : 'unbounded';
  return `${num(o.produceRate)} ev/s${burst} into a consumer at ${consumer}; policy ${o.policy}, ${cap}; ${num(o.durationSec)} s simulated`;
}

/** The time table, in the spirit of the incident write-up's. */
export function renderTable(r: SimulationResult): string {
  const header = [
    'time',
    'produced',
    'consumed',
    'queued',
    'dropped',
    'lag',
    'oldest',
    'producer ev/s',
    'memory',
  ];
  const body = r.rows.map((row) => [
    `${num(row.timeSec)} s`,
    int(row.produced),
    int(row.consumed),
    int(row.queued),
    int(row.dropped),
    int(row.lag),
    `${num(row.oldestAgeMs / 1000)} s`,
    num(row.producerRate),
    bytes(row.memoryBytes),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  const lines = [line(header), ...body.map(line)];
  const crash = r.rows.find((row) => row.crashed);
  if (crash) {
    lines.push(
      `out of memory at ${num(crash.timeSec)} s: the ${int(crash.lag)} events in memory (${bytes(crash.memoryBytes)}) are lost`,
    );
  }
  return lines.join('\n');
}

const EIGHTHS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** Queue depth over time as a block chart, `height` rows tall. */
export function renderChart(r: SimulationResult, height = 8): string {
  const values = r.depthChart;
  const peak = Math.max(...values);
  const label = (v: number) => int(v);
  const axisWidth = Math.max(label(peak).length, 1);
  const lines: string[] = [];
  lines.push(`queue depth (events) over ${num(r.options.durationSec)} s`);
  for (let row = height - 1; row >= 0; row--) {
    let cells = '';
    for (const v of values) {
      const eighths = peak === 0 ? 0 : Math.round((v / peak) * height * 8);
      const inRow = Math.max(0, Math.min(8, eighths - row * 8));
      cells += EIGHTHS[inRow];
    }
    const tick = row === height - 1 ? label(peak) : row === 0 ? '0' : '';
    lines.push(`${tick.padStart(axisWidth)} ┤${cells.replace(/\s+$/, '')}`);
  }
  const start = '0 s';
  const end = `${num(r.options.durationSec)} s`;
  lines.push(`${' '.repeat(axisWidth)} └${'─'.repeat(values.length)}`);
  lines.push(`${' '.repeat(axisWidth + 2)}${start}${end.padStart(values.length - start.length)}`);
  return lines.join('\n');
}

/** Everything a person wants to read: scenario, table, verdict, chart. */
export function renderReport(r: SimulationResult): string {
  return [
    `sluice simulate: ${describeScenario(r)}`,
    '',
    renderTable(r),
    '',
    `verdict: ${r.verdict}`,
    '',
    renderChart(r),
    '',
  ].join('\n');
}
