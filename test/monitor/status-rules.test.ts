import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/flow/clock.js';
import { LagMonitor, type LagMonitorOptions, MAX_TURN_WAIT_MS } from '../../src/monitor/monitor.js';
import type { LagReport } from '../../src/monitor/reports.js';
import { ScriptedSource } from './scripted.js';

/** A monitor over a scripted history; `cycle(fn)` applies one second of history, then collects. */
function setup(options: Partial<LagMonitorOptions> = {}) {
  const clock = new VirtualClock(1_700_000_000_000);
  const source = new ScriptedSource(clock);
  const monitor = new LagMonitor({
    source,
    clock,
    intervalMs: 1000,
    windowSize: 10,
    minSamples: 5,
    ...options,
  });
  const cycle = async (fn: (i: number) => void, times = 1): Promise<LagReport> => {
    let r: LagReport | undefined;
    for (let i = 0; i < times; i++) {
      fn(i);
      await clock.advance(1000);
      r = await monitor.collect();
    }
    return r as LagReport;
  };
  return { clock, source, monitor, cycle };
}

const partitionStatus = (r: LagReport, p = 0) => r.partitions.find((x) => x.partition === p)?.status;

describe('status rules on scripted offset histories (Burrow window rules + lab thresholds)', () => {
  it('OK: a consumer that keeps up, its lag going up and down', async () => {
    const { source, cycle } = setup();
    const g = source.group('steady', 'orders');
    g.join();
    let committed = 0;
    const r = await cycle((i) => {
      g.produce(0, 5);
      committed += i % 2 === 0 ? 3 : 7; // lag alternates 2, 0+… never runs away
      g.commit(0, committed);
    }, 12);
    expect(r.partitions[0].lag).toBeLessThanOrEqual(2);
    expect(partitionStatus(r)).toBe('OK');
    expect(r.groups[0].window_status).toBe('OK');
    expect(r.status).toBe('ok');
    expect(r.status_code).toBe(0);
  });

  it('WARN: the consumer advances but lag never falls across the window', async () => {
    const { source, cycle } = setup();
    const g = source.group('slow', 'orders');
    g.join();
    let committed = 0;
    const r = await cycle(() => {
      g.produce(0, 5);
      committed += 3; // lag +2 every second
      g.commit(0, committed);
    }, 10);
    expect(partitionStatus(r)).toBe('WARN');
    expect(r.groups[0].window_status).toBe('WARN');
    expect(r.groups[0].status_code).toBe(1);
    expect(r.groups[0].rate_of_change).toBeCloseTo(2, 6);
    expect(r.groups[0].production_rate).toBeCloseTo(5, 6);
    expect(r.groups[0].consumption_rate).toBeCloseTo(3, 6);
    expect(r.groups[0].time_to_drain_seconds).toBeNull();
    expect(r.groups[0].draining).toBe(false);
  });

  it('WARN only after minSamples: too little history is OK', async () => {
    const { source, cycle } = setup();
    const g = source.group('slow', 'orders');
    g.join();
    let committed = 0;
    const step = () => {
      g.produce(0, 5);
      committed += 3;
      g.commit(0, committed);
    };
    const early = await cycle(step, 4);
    expect(partitionStatus(early)).toBe('OK');
    expect(early.partitions[0].reason).toMatch(/only 4 of 5 samples/);
    expect(partitionStatus(await cycle(step))).toBe('WARN');
  });

  it('STOP: commits stop, nobody owns the partition, and the log keeps growing', async () => {
    const { source, cycle, clock } = setup();
    const g = source.group('gone', 'orders');
    g.join();
    await cycle(() => {
      g.produce(0, 4);
      g.commit(0, (g.commits.get('0') ?? 0) + 3);
    }, 3);
    const lastCommitAt = clock.now();
    g.leave();
    const r = await cycle(() => g.produce(0, 4), 10);
    expect(partitionStatus(r)).toBe('STOP');
    expect(r.groups[0].window_status).toBe('ERR');
    expect(r.groups[0].status_code).toBe(2);
    expect(r.partitions[0].seconds_since_progress).toBe((clock.now() - lastCommitAt) / 1000);
  });

  it('STALL: a member owns the partition but its committed offset does not move', async () => {
    const { source, cycle } = setup();
    const g = source.group('stuck', 'orders');
    g.join();
    g.produce(0, 20);
    g.commit(0, 10);
    const r = await cycle(() => g.produce(0, 4), 10);
    expect(partitionStatus(r)).toBe('STALL');
    expect(r.partitions[0].owner?.member_id).toBe('m-1');
    expect(r.groups[0].status_code).toBe(2);
  });

  it('waiting its turn, not STALL: the owner commits on its other partitions and the lag falls', async () => {
    // One member, two partitions, a burst on both: it works through p0 while p1 waits (a consumer that
    // serves its partitions one after another). A healthy, draining consumer must not look broken.
    const { source, cycle } = setup();
    const g = source.group('turns', 'orders', 2);
    g.join();
    g.produce(0, 60);
    g.produce(1, 60);
    g.commit(1, 0);
    let p0 = 0;
    const r = await cycle(() => {
      p0 += 5;
      g.commit(0, p0);
    }, 10);
    const p1 = r.partitions.find((p) => p.partition === 1);
    expect(p1?.status).toBe('OK');
    expect(p1?.reason).toMatch(/waiting its turn.*orders\/0/);
    expect(r.groups[0].status).toBe('ok');
  });

  it('STALL after all once a partition has waited its turn longer than MAX_TURN_WAIT_MS', async () => {
    const { source, cycle } = setup();
    const g = source.group('starved', 'orders', 2);
    g.join();
    g.produce(0, 10_000);
    g.produce(1, 100);
    g.commit(1, 0);
    let p0 = 0;
    const r = await cycle(
      () => {
        p0 += 5;
        g.commit(0, p0);
      },
      MAX_TURN_WAIT_MS / 1000 + 5,
    );
    const p1 = r.partitions.find((p) => p.partition === 1);
    expect(p1?.status).toBe('STALL');
    expect(p1?.reason).toMatch(/its owner commits on orders\/0 but not here/);
    expect(r.groups[0].status).toBe('critical');
  });

  it('rate_of_change follows the last few samples; rate_of_change_trend keeps the window', async () => {
    // Exercise 2's shape: lag flat for a while, then growing 98/s. The window regression lags behind;
    // the short rate reads the growth as it is.
    const { source, cycle } = setup();
    const g = source.group('burst', 'orders');
    g.join();
    g.produce(0, 10);
    g.commit(0, 0);
    await cycle(() => {}, 7);
    const r = await cycle(() => g.produce(0, 98), 3);
    expect(r.groups[0].rate_of_change).toBeCloseTo(98, 6);
    expect(r.groups[0].rate_of_change_trend).toBeLessThan(60);
    expect(r.rate_of_change).toBeCloseTo(98, 6);
  });

  it('REWIND: the committed offset goes back while lag stays non-zero', async () => {
    const { source, cycle } = setup();
    const g = source.group('replay', 'orders');
    g.join();
    const offsets = [100, 110, 120, 130, 60, 70, 80, 90];
    const r = await cycle((i) => {
      g.produce(0, i === 0 ? 200 : 10);
      g.commit(0, offsets[i]);
    }, offsets.length);
    expect(partitionStatus(r)).toBe('REWIND');
    expect(r.partitions[0].reason).toMatch(/130 to 60/);
    expect(r.groups[0].window_status).toBe('ERR');
  });

  it('a stopped consumer on an idle topic is not STOP (lag is zero)', async () => {
    const { source, cycle } = setup();
    const g = source.group('idle', 'orders');
    g.produce(0, 50);
    g.commit(0, 50);
    const r = await cycle(() => undefined, 15);
    expect(r.partitions[0].lag).toBe(0);
    expect(partitionStatus(r)).toBe('OK');
    expect(r.groups[0].window_status).toBe('OK');
  });

  it('a stopped consumer that was caught up within the window is not STOP when new records arrive', async () => {
    const { source, cycle } = setup();
    const g = source.group('caught-up', 'orders');
    g.produce(0, 50);
    g.commit(0, 50);
    await cycle(() => undefined, 5);
    const r = await cycle(() => g.produce(0, 3), 4);
    expect(r.partitions[0].lag).toBe(12);
    expect(partitionStatus(r)).toBe('OK');
    expect(r.partitions[0].reason).toMatch(/caught up within the window/);
    // Once the caught-up samples leave the window, it is STOP.
    expect(partitionStatus(await cycle(() => g.produce(0, 3), 6))).toBe('STOP');
  });

  it('lag that dips to zero once in a growing window is OK', async () => {
    const { source, cycle } = setup();
    const g = source.group('dip', 'orders');
    g.join();
    let committed = 0;
    const r = await cycle((i) => {
      g.produce(0, 5);
      committed = i === 5 ? (g.ends.get('0') ?? 0) : committed + 3;
      g.commit(0, committed);
    }, 10);
    expect(r.partitions[0].lag).toBeGreaterThan(0);
    expect(partitionStatus(r)).toBe('OK');
  });

  it('the allowed-lag floor keeps a tiny growing lag OK', async () => {
    const run = async (allowedLag: number) => {
      const { source, cycle } = setup({ thresholds: { allowedLag } });
      const g = source.group('tiny', 'orders');
      g.join();
      g.produce(0, 1);
      let committed = 0;
      return cycle(() => {
        g.produce(0, 10);
        committed += 9.5; // lag creeps up half a record per second
        g.commit(0, Math.floor(committed));
      }, 10);
    };
    const strict = await run(0);
    expect(strict.partitions[0].lag).toBe(6);
    expect(partitionStatus(strict)).toBe('WARN');
    expect(partitionStatus(await run(5))).toBe('OK');
  });

  it('lab thresholds: total lag > 500 is critical, growth > 10/s a warning; both configurable', async () => {
    const { source, cycle } = setup();
    const g = source.group('lab', 'orders', 2);
    g.join();
    g.commit(0, 0);
    g.commit(1, 0);
    let r = await cycle(() => {
      g.produce(0, 251);
      g.produce(1, 250);
      g.commit(0, (g.ends.get('0') ?? 0) - 250);
      g.commit(1, (g.ends.get('1') ?? 0) - 250);
    });
    expect(r.total_lag).toBe(500);
    expect(r.status).toBe('ok');
    r = await cycle(() => g.produce(0, 1));
    expect(r.total_lag).toBe(501);
    expect(r.status).toBe('critical');
    expect(r.status_code).toBe(2);
    expect(r.groups[0].reasons[0]).toMatch(/total lag 501 > 500/);

    const fast = setup({ thresholds: { warningRate: 10, criticalLag: 10_000 } });
    const h = fast.source.group('burst', 'orders');
    h.join();
    h.commit(0, 0);
    const growing = await fast.cycle(() => h.produce(0, 11), 3);
    expect(growing.rate_of_change).toBeCloseTo(11, 6);
    expect(growing.status).toBe('warning');
    const custom = setup({ thresholds: { warningRate: 20, criticalLag: 10_000 } });
    const k = custom.source.group('burst', 'orders');
    k.join();
    k.commit(0, 0);
    expect((await custom.cycle(() => k.produce(0, 11), 3)).status).toBe('ok');
  });

  it('time to drain: lag ÷ net drain rate while lag falls', async () => {
    const { source, cycle } = setup();
    const g = source.group('drain', 'orders');
    g.join();
    g.produce(0, 1000);
    g.commit(0, 0);
    let committed = 0;
    const r = await cycle(() => {
      g.produce(0, 10);
      committed += 30;
      g.commit(0, committed);
    }, 10);
    expect(r.groups[0].rate_of_change).toBeCloseTo(-20, 6);
    expect(r.groups[0].draining).toBe(true);
    expect(r.groups[0].time_to_drain_seconds).toBeCloseTo(r.total_lag / 20, 1);
  });

  it('a partition without a commit is listed with unknown lag and kept out of the totals', async () => {
    const { source, cycle } = setup();
    const g = source.group('new', 'orders', 2);
    g.join();
    g.produce(0, 10);
    g.produce(1, 10);
    g.commit(0, 4);
    const r = await cycle(() => undefined);
    expect(r.partitions.map((p) => p.lag)).toEqual([6, null]);
    expect(r.partitions[1].lag_seconds_method).toBe('unknown');
    expect(r.total_lag).toBe(6);
  });
});

describe('collection loop', () => {
  it('collects at start and then every intervalMs of the injected clock, until stopped', async () => {
    const clock = new VirtualClock(0);
    const source = new ScriptedSource(clock);
    const g = source.group('loop', 'orders');
    g.produce(0, 10);
    g.commit(0, 4);
    const monitor = new LagMonitor({ source, clock, intervalMs: 1000 });
    const seen: number[] = [];
    monitor.onReport((r) => seen.push(Date.parse(r.timestamp)));
    monitor.start();
    await clock.advance(5000);
    expect(seen).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    await monitor.stop();
    await clock.advance(5000);
    expect(seen).toHaveLength(6);
    expect(monitor.history().samples.map((s) => s.total_lag)).toEqual([6, 6, 6, 6, 6, 6]);
  });
});
