import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock, VirtualClock } from '../../src/flow/clock.js';
import { adviseGroup, type GroupFigures } from '../../src/monitor/advice.js';
import { AlertBook } from '../../src/monitor/alerts.js';
import { resolveMonitorConfig } from '../../src/monitor/config.js';
import { LagMonitor } from '../../src/monitor/monitor.js';
import { ScriptedSource } from './scripted.js';

function figures(f: Partial<GroupFigures>): GroupFigures {
  return {
    group: 'g',
    totalLag: 0,
    productionRate: 0,
    consumptionRate: 0,
    rateOfChange: 0,
    timeToDrainSeconds: null,
    consumers: 1,
    partitions: 1,
    statuses: [],
    zeroLagSeconds: null,
    criticalLag: 500,
    warningRate: 10,
    idleAdviceAfterSeconds: 600,
    samples: 10,
    ...f,
  };
}

describe('alerts', () => {
  it('open once, de-duplicate while the condition holds, close when it ends, keep the history', async () => {
    const clock = new VirtualClock(0);
    const book = new AlertBook(clock, 3);
    const c = {
      kind: 'lag_critical' as const,
      group: 'g',
      severity: 'critical' as const,
      message: 'x',
      value: 600,
      threshold: 500,
    };
    expect(book.update([c]).map((e) => e.event)).toEqual(['open']);
    await clock.advance(1000);
    expect(book.update([{ ...c, value: 700 }])).toEqual([]);
    expect(book.active()).toHaveLength(1);
    expect(book.active()[0]).toMatchObject({
      value: 700,
      occurrences: 2,
      state: 'open',
      opened_at: new Date(0).toISOString(),
    });
    await clock.advance(1000);
    const closed = book.update([]);
    expect(closed.map((e) => [e.event, e.alert.closed_at])).toEqual([
      ['close', new Date(2000).toISOString()],
    ]);
    expect(book.active()).toEqual([]);
    book.update([c]);
    book.update([]);
    // Capacity 3: the oldest event fell out; newest first.
    expect(book.history().map((e) => e.event)).toEqual(['close', 'open', 'close']);
  });
});

describe('webhook notifications', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function receiver(statuses: number[]): Promise<{ url: string; bodies: unknown[] }> {
    const bodies: unknown[] = [];
    let n = 0;
    server = createServer((req: IncomingMessage, res) => {
      let data = '';
      req.on('data', (d) => {
        data += d;
      });
      req.on('end', () => {
        const status = statuses[Math.min(n++, statuses.length - 1)];
        if (status === 200) bodies.push(JSON.parse(data));
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
  }

  it('POSTs open and close events as JSON, retrying a failing receiver', async () => {
    const hook = await receiver([500, 503, 200]);
    const clock = new VirtualClock(0);
    const source = new ScriptedSource(clock);
    const monitor = new LagMonitor({
      source,
      clock: realClock,
      intervalMs: 1000,
      thresholds: { criticalLag: 10 },
      webhook: { url: hook.url, attempts: 4, backoffMs: 5 },
    });
    const g = source.group('g', 't');
    g.produce(0, 50);
    g.commit(0, 0);
    await monitor.collect();
    g.commit(0, 50);
    await monitor.collect();
    await monitor.webhook?.idle();
    expect(hook.bodies.map((b) => (b as { event: string }).event)).toEqual(['open', 'close']);
    expect(hook.bodies[0]).toMatchObject({
      source: 'sluice-monitor',
      alert: { kind: 'lag_critical', group: 'g', value: 50 },
    });
    expect(monitor.alerts().webhook).toMatchObject({ sent: 2, failed: 0, retries: 2 });
  });

  it('gives up after the configured attempts and does not retry a 4xx refusal', async () => {
    const hook = await receiver([400]);
    const clock = new VirtualClock(0);
    const source = new ScriptedSource(clock);
    const monitor = new LagMonitor({
      source,
      clock: realClock,
      thresholds: { criticalLag: 1 },
      webhook: { url: hook.url, attempts: 3, backoffMs: 1 },
    });
    const g = source.group('g', 't');
    g.produce(0, 5);
    g.commit(0, 0);
    await monitor.collect();
    await monitor.webhook?.idle();
    expect(monitor.alerts().webhook).toMatchObject({ sent: 0, failed: 1, retries: 0 });
    expect(monitor.alerts().webhook?.lastError).toMatch(/answered 400/);
  });
});

describe('recommendations', () => {
  it("scale-out advice in the lab's terms (1000 ms / processing_time_ms = max msg/s)", () => {
    const [r] = adviseGroup(
      figures({
        totalLag: 900,
        productionRate: 50,
        consumptionRate: 2,
        rateOfChange: 48,
        consumers: 1,
        partitions: 30,
      }),
    );
    expect(r.kind).toBe('scale_out');
    expect(r.message).toMatch(
      /^lag grows 48 msg\/s: consumers process about 2 msg\/s against 50 produced; add 24 consumer\(s\) or cut processing time to about 20 ms/,
    );
    expect(r.message).toMatch(/now about 500 ms/);
    expect(r.figures).toMatchObject({
      consumers_needed: 25,
      add_consumers: 24,
      target_processing_time_ms: 20,
    });
    expect(r.severity).toBe('critical');
  });

  it('rounds to what the rates can support, and counts no consumer past the partitions', () => {
    const [r] = adviseGroup(
      figures({
        totalLag: 400,
        productionRate: 98.3,
        consumptionRate: 1.6,
        rateOfChange: 96.7,
        consumers: 1,
        partitions: 6,
      }),
    );
    expect(r.message).toMatch(
      /lag grows 97 msg\/s: consumers process about 1\.6 msg\/s against 98 produced; add 5 consumer\(s\)/,
    );
    expect(r.message).toMatch(/now about 630 ms/);
    expect(r.message).toMatch(/many more consumers would be needed but the group reads 6 partition\(s\)/);
    expect(r.figures).toMatchObject({ add_consumers: 5 });
  });

  it('says when more consumers than partitions would not help', () => {
    const [r] = adviseGroup(
      figures({
        totalLag: 100,
        productionRate: 50,
        consumptionRate: 2,
        rateOfChange: 48,
        consumers: 1,
        partitions: 3,
      }),
    );
    expect(r.message).toMatch(/reads 3 partition\(s\).*add partitions too/);
  });

  it('zero lag for 10 min with 3 consumers: maybe over-provisioned; not with one consumer', () => {
    const [r] = adviseGroup(figures({ zeroLagSeconds: 600, consumers: 3, productionRate: 4 }));
    expect(r.kind).toBe('over_provisioned');
    expect(r.message).toMatch(/^zero lag for 10 min with 3 consumers: maybe over-provisioned/);
    expect(adviseGroup(figures({ zeroLagSeconds: 600, consumers: 1 }))[0].kind).toBe('healthy');
    expect(adviseGroup(figures({ zeroLagSeconds: 300, consumers: 3 }))[0].kind).toBe('healthy');
  });

  it('consumer stopped, stalled, draining', () => {
    const stopped = adviseGroup(
      figures({
        totalLag: 120,
        productionRate: 2,
        rateOfChange: 2,
        consumers: 0,
        statuses: [{ status: 'STOP', idleSeconds: 60 }],
      }),
    );
    expect(stopped[0].kind).toBe('consumer_stopped');
    expect(stopped[0].message).toMatch(/^consumer stopped: no commit progress for 60 s/);
    const stalled = adviseGroup(figures({ totalLag: 120, statuses: [{ status: 'STALL', idleSeconds: 30 }] }));
    expect(stalled[0].message).toMatch(/cannot tell which/);
    // With what the lab knows (a paused consumer) the advice names it instead of guessing.
    const paused = adviseGroup(
      figures({
        totalLag: 120,
        statuses: [{ status: 'STALL', idleSeconds: 30 }],
        context: { pausedConsumers: ['consumer-1'], processingTimeMs: 500 },
      }),
    );
    expect(paused[0].message).toMatch(/consumer-1 is paused: resume it \(POST \/resume\)/);
    expect(paused[0].message).not.toMatch(/cannot tell/);
    const draining = adviseGroup(
      figures({
        totalLag: 200,
        rateOfChange: -20,
        timeToDrainSeconds: 10,
        consumptionRate: 30,
        productionRate: 10,
      }),
    );
    expect(draining[0].message).toBe('lag falls 20 msg/s: 200 records drain in about 10 s at this rate');
  });
});

describe('config validation', () => {
  it('rejects bad values with a message naming the field', () => {
    expect(() => resolveMonitorConfig({ intervalMs: 0 })).toThrow(
      /intervalMs must be a whole number >= 1 \(got 0\)/,
    );
    expect(() => resolveMonitorConfig({ windowSize: 5, minSamples: 6 })).toThrow(
      /minSamples \(6\) cannot exceed windowSize \(5\)/,
    );
    expect(() => resolveMonitorConfig({ thresholds: { criticalLag: -1 } })).toThrow(
      /criticalLag must be a number >= 0/,
    );
    expect(() => resolveMonitorConfig({ includeGroups: ['('] })).toThrow(
      /includeGroups: "\(" is not a regular expression/,
    );
    expect(() => resolveMonitorConfig({ webhook: { url: 'nope' } })).toThrow(
      /webhook.url "nope" is not a URL/,
    );
    expect(() => new LagMonitor({})).toThrow(/give brokers/);
  });
});

describe('Prometheus metrics and JSON outputs', () => {
  it("exposes the lab's metric names and the JSON endpoints' shapes", async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const source = new ScriptedSource(clock);
    const monitor = new LagMonitor({ source, clock, intervalMs: 1000, snapshotHistory: 3 });
    const g = source.group('lab', 'orders', 2);
    g.join();
    g.commit(0, 0);
    g.commit(1, 0);
    for (let i = 0; i < 5; i++) {
      g.produce(0, 150);
      g.produce(1, 50);
      g.timestamps.set('0', clock.now() - 4000);
      await clock.advance(1000);
      await monitor.collect();
    }
    const text = await monitor.metrics.registry.metrics();
    expect(text).toMatch(/^kafka_consumer_group_lag_total\{group="lab"\} 1000$/m);
    expect(text).toMatch(/^kafka_consumer_group_lag_total\{group=""\} 1000$/m);
    expect(text).toMatch(/^kafka_consumer_group_lag\{group="lab",topic="orders",partition="0"\} 750$/m);
    expect(text).toMatch(/^kafka_lag_status\{group="lab"\} 2$/m);
    expect(text).toMatch(/^kafka_lag_rate_of_change\{group="lab"\} 200$/m);
    expect(text).toMatch(
      /^kafka_consumergroup_group_lag_seconds\{group="lab",topic="orders",partition="0"\} 5$/m,
    );
    expect(text).toMatch(/^sluice_monitor_collection_duration_seconds_count 5$/m);
    expect(text).not.toMatch(/kafka_consumer_group_time_to_drain_seconds\{/);

    const lag = monitor.lag();
    expect(lag).toMatchObject({ total_lag: 1000, status: 'critical', status_code: 2, rate_of_change: 200 });
    expect(lag.partitions[0]).toMatchObject({ lag_seconds: 5, lag_seconds_method: 'exact' });
    expect(lag.partitions[1].lag_seconds_method).toBe('unknown');
    expect(lag.topics).toEqual([
      {
        group: 'lab',
        topic: 'orders',
        partitions: 2,
        total_lag: 1000,
        rate_of_change: 200,
        production_rate: 200,
        consumption_rate: 0,
        max_lag_seconds: 5,
      },
    ]);
    expect(monitor.history().samples.map((s) => s.total_lag)).toEqual([600, 800, 1000]);
    expect(monitor.history(1).samples).toHaveLength(1);
    expect(monitor.status()).toMatchObject({
      status: 'critical',
      groups: { ok: 0, warning: 0, critical: 1 },
      active_alerts: 3,
    });
    expect(
      monitor
        .alerts()
        .active.map((a) => a.kind)
        .sort(),
    ).toEqual(['consumer_stalled', 'lag_critical', 'lag_growing']);
    expect(monitor.recommendations().recommendations[0].kind).toBe('consumer_stalled');
    // Everything is plain JSON.
    expect(JSON.parse(JSON.stringify(lag))).toEqual(lag);

    // A partition that disappears leaves the metrics instead of freezing at its last value.
    // Its samples go back to the monitor's slab for the next partition (no public face: read inside).
    const ringColumns = () => (monitor as unknown as { ringColumns: { inUse: number } }).ringColumns.inUse;
    expect(ringColumns()).toBeGreaterThan(0);
    source.groups.length = 0;
    await clock.advance(1000);
    await monitor.collect();
    expect(await monitor.metrics.registry.metrics()).not.toMatch(/kafka_consumer_group_lag\{/);
    expect(ringColumns()).toBe(0);
  });
});
