import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import type { LagReport } from '../../src/monitor/reports.js';
import { waitFor } from '../helpers/burrow.js';
import { freeBasePort } from './helpers.js';

/** A fresh in-process lab (embedded broker in memory, one consumer at the lab's 500 ms per order). */
async function freshLab(): Promise<{ lab: Lab; producer: string }> {
  const base = await freeBasePort();
  const lab = await Lab.start({
    memory: true,
    ports: { broker: 0, producer: base, consumer: base + 1, monitor: base + 10 },
    monitorIntervalMs: 1000,
  });
  return { lab, producer: `http://127.0.0.1:${base}` };
}

let running: Lab | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

/**
 * The figure. Split evenly, each partition's first order is among the first seven the sink
 * takes (about 4 s at 500 ms each, commits every 500 ms). The unfair order this guards against (p0's 27
 * orders, then p1's 21) needs over 24 s before p2 moves; the window once split between the first
 * partitions fetched (the others known only as empty) needed over 10 s.
 */
const FAIR_WITHIN_MS = 10_000;

describe('fair consumption in the lab', () => {
  it('120 orders, one consumer: every partition commits within 10 s and the status stays ok while lag falls', async () => {
    const { lab, producer } = await freshLab();
    running = lab;
    const monitor = lab.monitor!.monitor;
    const reports: LagReport[] = [];
    monitor.onReport((r) => reports.push(r));
    const res = await fetch(`${producer}/produce/batch?count=120`, { method: 'POST' });
    expect(res.status).toBe(200);
    const producedAt = Date.now();
    const runtime = lab.consumers[0].consumer.runtime;
    const moved = () => runtime.stats().partitions.filter((p) => p.committed !== null && p.committed !== '0');
    // Each partition's committed offset moves off 0 (the lab commits the start offsets first).
    await waitFor(
      'all six partitions to commit',
      async () => (moved().length === 6 ? true : undefined),
      FAIR_WITHIN_MS,
      () => JSON.stringify(runtime.stats().partitions.map((p) => [p.partition, p.committed, p.inFlight])),
    );
    expect(Date.now() - producedAt).toBeLessThan(FAIR_WITHIN_MS);
    // Let the monitor see a few more cycles of draining.
    const seen = reports.length;
    await waitFor(
      'three more monitor cycles',
      async () => (reports.length >= seen + 3 ? true : undefined),
      10_000,
    );
    const critical = monitor.config.thresholds.criticalLag;
    const falling = reports.filter(
      (r, i) => i > 0 && r.total_lag < reports[i - 1].total_lag && r.total_lag < critical,
    );
    expect(falling.length).toBeGreaterThan(2);
    for (const r of falling) {
      expect({ lag: r.total_lag, status: r.status, reasons: r.groups[0]?.reasons }).toMatchObject({
        status: 'ok',
      });
      expect(r.partitions.filter((p) => p.status !== 'OK')).toEqual([]);
    }
  }, 45_000);
});
