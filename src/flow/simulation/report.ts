import { bytes, int, num, pct } from './format.js';
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
  const count = Number.isFinite(o.count) ? `${int(o.count)} events at ` : '';
  return `${count}${num(o.produceRate)} ev/s${burst} into a consumer at ${consumer}; policy ${o.policy}, ${cap}; ${num(o.durationSec)} s simulated`;
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
  // A consumer lag counts the event being processed (its offset is not committed yet): say so, since
  // "lag 10,001" beside "queued 10,000" reads as an error otherwise.
  lines.push('(lag = queued + the event being processed; consumed = events finished)');
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

/** What the queue's watermarks (80% / 50% of its bound) saw. */
export function describePressure(r: SimulationResult): string | undefined {
  const t = r.totals;
  if (t.pressureDeclaredAtSec === undefined) return undefined;
  const times = t.pressureDeclarations === 1 ? 'once' : `${t.pressureDeclarations} times`;
  const marks = `${Math.round(r.options.highWatermark * 100)}% / ${Math.round(r.options.lowWatermark * 100)}%`;
  return `backpressure (watermarks at ${marks} of the queue): first declared at ${num(t.pressureDeclaredAtSec)} s, ${times}; ${t.thrashing ? 'thrashing (declared and relieved over and over)' : 'no thrashing'}`;
}

/** Everything a person wants to read: scenario, table, verdict, chart. */
export function renderReport(r: SimulationResult): string {
  const pressure = describePressure(r);
  return [
    `sluice simulate: ${describeScenario(r)}`,
    '',
    renderTable(r),
    '',
    `verdict: ${r.verdict}`,
    ...(pressure ? [pressure] : []),
    '',
    renderChart(r),
    '',
  ].join('\n');
}

/** The outcome of one policy in a few words, for the comparison table. */
function outcome(r: SimulationResult): string {
  const t = r.totals;
  if (t.crashedAtSec !== undefined)
    return `out of memory at ${num(t.crashedAtSec)} s, ${int(t.lostInCrash)} lost`;
  const lost = t.dropped + t.deadLettered;
  switch (r.options.policy) {
    case 'block':
      return t.fullAtSec === undefined
        ? 'never full'
        : `producer held to ${num(r.rows[r.rows.length - 1].producerRate)} ev/s`;
    case 'buffer':
      return r.growthPerSec > 0 ? `${int(t.lag)} behind and growing` : 'keeps up';
    case 'drop':
      return lost > 0 ? `${pct(lost / Math.max(1, t.produced))} of events dropped` : 'nothing dropped';
    case 'stop':
      return `stopped ${t.pressureDeclarations} times${t.thrashing ? ', thrashing' : ''}`;
    case 'sample':
      return lost > 0
        ? `1 in ${r.options.sampleEvery} of the overflow kept in place of older events, ${pct(lost / Math.max(1, t.produced))} discarded`
        : 'nothing sampled out';
  }
}

/** The four strategies side by side (`sluice simulate --policy all`). */
export function renderComparison(results: SimulationResult[]): string {
  const first = results[0];
  const header = ['policy', 'delivered', 'lost', 'max queued', 'peak memory', 'oldest at end', 'outcome'];
  const body = results.map((r) => {
    const t = r.totals;
    const lastRow = r.rows[r.rows.length - 1];
    return [
      r.options.policy,
      int(t.consumed),
      int(t.dropped + t.deadLettered + t.lostInCrash),
      int(t.maxQueued),
      bytes(t.maxMemoryBytes),
      `${num((lastRow?.oldestAgeMs ?? 0) / 1000)} s`,
      outcome(r),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const bounds = results.map(
    (r) =>
      `${r.options.policy} ${Number.isFinite(r.options.capacity) ? int(r.options.capacity) : 'unbounded'}`,
  );
  const scenario = describeScenario(first).replace(
    /; policy [a-z]+, [^;]+;/,
    `; queue bound: ${bounds.join(', ')};`,
  );
  return [
    `sluice simulate: ${scenario}; the four strategies side by side`,
    '',
    line(header),
    ...body.map(line),
    '',
    ...results.map((r) => `${r.options.policy}: ${r.verdict}`),
    '',
  ].join('\n');
}
