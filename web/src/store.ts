import type { Flow, HistoryEntry, Snapshot } from './types.js';

/**
 * The time series the charts draw, kept in the page (bounded: the last 10 minutes at the monitor's
 * 2 s interval). Exposed on `window.__sluice` so tests and curious people read the data, not pixels.
 */

export interface LagPoint {
  /** Unix seconds. */
  t: number;
  total: number;
  partitions: Record<string, number | null>;
  production: number;
  consumption: number;
  rateOfChange: number;
  timeToDrain: number | null;
  lagSeconds: number | null;
}

export interface FlowPoint {
  t: number;
  inFlight: number;
  creditsFree: number;
  sinkActive: number;
  producerBuffered: number;
  pausedConsumers: number;
  pausedPartitions: number;
}

export const MAX_POINTS = 300;

export class Store {
  readonly lag: LagPoint[] = [];
  readonly flow: FlowPoint[] = [];
  snapshot: Snapshot | null = null;
  latestFlow: Flow | null = null;
  snapshots = 0;

  addSnapshot(s: Snapshot): void {
    this.snapshot = s;
    this.snapshots++;
    const r = s.lag;
    const t = Date.parse(r.timestamp) / 1000;
    const last = this.lag[this.lag.length - 1];
    // The first frame of every (re)connection repeats the latest report.
    if (last && last.t >= t) return;
    const partitions: Record<string, number | null> = {};
    for (const p of r.partitions) partitions[partitionKey(p.topic, p.partition, r.partitions)] = p.lag;
    push(this.lag, {
      t,
      total: r.total_lag,
      partitions,
      production: r.production_rate,
      consumption: r.consumption_rate,
      rateOfChange: r.rate_of_change,
      timeToDrain: r.total_lag > 0 ? r.time_to_drain_seconds : null,
      lagSeconds: r.max_lag_seconds,
    });
  }

  /** Seeds the totals from /lag/history so a fresh page starts with a past. */
  addHistory(entries: HistoryEntry[]): void {
    const first = this.lag[0]?.t ?? Number.POSITIVE_INFINITY;
    const older = entries
      .map(
        (e): LagPoint => ({
          t: Date.parse(e.timestamp) / 1000,
          total: e.total_lag,
          partitions: {},
          production: e.production_rate,
          consumption: e.consumption_rate,
          rateOfChange: e.rate_of_change,
          timeToDrain: null,
          lagSeconds: e.max_lag_seconds,
        }),
      )
      .filter((p) => p.t < first)
      .slice(-MAX_POINTS);
    this.lag.unshift(...older);
    if (this.lag.length > MAX_POINTS) this.lag.splice(0, this.lag.length - MAX_POINTS);
  }

  addFlow(f: Flow, now: number): void {
    this.latestFlow = f;
    let inFlight = 0;
    let creditsFree = 0;
    let sinkActive = 0;
    let pausedConsumers = 0;
    let pausedPartitions = 0;
    for (const c of f.consumers) {
      const s = c.stats;
      if (!s) continue;
      inFlight += s.in_flight;
      creditsFree += s.credits_free ?? Math.max(0, s.max_in_flight - s.in_flight);
      sinkActive += s.sink_active ?? 0;
      if (s.paused) pausedConsumers++;
      pausedPartitions += s.paused_partitions?.length ?? 0;
    }
    const b = f.producer?.stats?.buffer;
    push(this.flow, {
      t: now,
      inFlight,
      creditsFree,
      sinkActive,
      producerBuffered: b ? (b.buffered_records ?? 0) : 0,
      pausedConsumers,
      pausedPartitions,
    });
  }

  /** Partition keys seen in the window, in order (topic-less when there is one topic). */
  partitionKeys(): string[] {
    const keys = new Set<string>();
    for (const p of this.lag) for (const k of Object.keys(p.partitions)) keys.add(k);
    return [...keys].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  }
}

function partitionKey(topic: string, partition: number, all: { topic: string }[]): string {
  const multi = all.some((p) => p.topic !== topic);
  return multi ? `${topic}-${partition}` : `p${partition}`;
}

function push<T>(a: T[], v: T): void {
  a.push(v);
  if (a.length > MAX_POINTS * 2) a.splice(0, a.length - MAX_POINTS * 2);
}
