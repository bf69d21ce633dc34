import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Target, uniqueName } from '../helpers/targets.js';
import {
  ANY_FREE_PORTS,
  get,
  http,
  LAB_READY,
  type LabProcess,
  labUrls,
  post,
  requireBuild,
  sleep,
  spawnSluice,
  until,
} from '../lab/helpers.js';

/**
 * The seed lab's exercises 1-7 against `node bin/sluice.js lab`, the built package, with the lab's own
 * curl calls as HTTP requests: all of them with the lab's embedded broker, ON_KAFKA with
 * `--brokers` on the three-broker Kafka cluster. Exercise 1 runs at the lab's 500 ms per order (2 msg/s); the rest at
 * 100 ms (10 msg/s per consumer) so the file stays short while the ratios the lab teaches hold:
 * production far above capacity builds lag, three consumers drain about three times as fast as one,
 * a paused consumer lets lag grow by exactly what was produced, resume drains it.
 */

const INTERVAL_MS = 250;

/**
 * The exercises that also run on the Kafka cluster: lag building (2), the lab's metric names and advice
 * (3), scaling to three consumers (4) and pause/resume (5), which together show the scale-out path on
 * Kafka. Exercise 1 (the 500 ms baseline), 6 (processing-time arithmetic) and 7 (a second burst) test
 * the lab's own arithmetic, which does not depend on the broker, and would add about 25 s there.
 */
export const ON_KAFKA: ReadonlySet<number> = new Set([2, 3, 4, 5]);

interface LagBody {
  timestamp: string;
  total_lag: number;
  status: string;
  rate_of_change: number;
  groups: { group: string; total_lag: number; consumers: number }[];
}

/** Registers the exercises, or only those in `only` (the Kafka run registers ON_KAFKA). */
export function labExercisesSuite(target: Target, only?: ReadonlySet<number>): void {
  let lab: LabProcess;
  let P: string;
  let C: string[];
  let M: string;

  /** Exercise n of the lab, registered unless `only` leaves it out. */
  const exercise = (n: number, title: string, body: () => Promise<void>, timeoutMs?: number) => {
    if (!only || only.has(n)) it(`exercise ${n}: ${title}`, body, timeoutMs);
  };

  /** The first /lag report collected after `since` (ms): what `curl .../lag` shows once the monitor has looked. */
  async function lagAfter(since: number): Promise<LagBody> {
    return until(
      'a fresh lag report',
      async () => {
        const r = await get<LagBody>(`${M}/lag`);
        return Date.parse(r.body.timestamp) > since ? r.body : undefined;
      },
      10_000,
    );
  }

  async function lagNow(): Promise<LagBody> {
    return lagAfter(Date.now());
  }

  async function consumedTotal(urls: string[]): Promise<number> {
    let sum = 0;
    for (const u of urls) sum += (await get(`${u}/stats`)).body.consumed;
    return sum;
  }

  async function drainTo(limit: number, timeoutMs = 30_000): Promise<LagBody> {
    return until(
      'lag to drain',
      async () => {
        const l = await lagNow();
        return l.total_lag <= limit ? l : undefined;
      },
      timeoutMs,
    );
  }

  beforeAll(async () => {
    requireBuild();
    // On Sluice the lab starts its own embedded broker, as `sluice lab` does out of the box (the
    // target's broker stands by unused); on Kafka it is given the cluster with --brokers, the scale-out
    // path. Either way the topic and group names are fresh, as the cluster is shared.
    const broker =
      target().kind === 'sluice' ? ['--memory', '--broker-port', '0'] : ['--brokers', target().bootstrap];
    lab = await spawnSluice(
      [
        'lab',
        ...broker,
        '--topic',
        uniqueName('orders'),
        '--group',
        uniqueName('order-processors'),
        ...ANY_FREE_PORTS,
        '--monitor-interval-ms',
        String(INTERVAL_MS),
      ],
      { ready: LAB_READY },
    );
    ({ producer: P, consumers: C, monitor: M } = labUrls(lab.output()));
    for (const url of [P, C[0], M]) expect((await get(`${url}/health`)).body.status).toBe('healthy');
    await until('the consumer to join its group', async () =>
      (await get(`${C[0]}/stats`)).body.assigned_partitions.length === 6 ? true : undefined,
    );
  }, 60_000);

  afterAll(async () => {
    const code = await lab?.stop();
    expect(code, lab?.output()).toBe(0);
    expect(lab.output()).toContain('stopped cleanly');
  }, 60_000);

  it('banner names every service and the first exercise', () => {
    const out = lab.output();
    expect(out).toContain(`producer      ${P}`);
    expect(out).toContain(`consumer-1    ${C[0]}`);
    expect(out).toContain(`lag monitor   ${M}`);
    expect(out).toContain(`curl -X POST ${P}/produce/batch?count=10`);
    // Kafka: every address of the multi-broker bootstrap list reaches the services.
    if (target().kind === 'kafka') {
      expect(out).toContain('(external Kafka)');
      expect(out).toContain(`broker        ${target().bootstrap}`);
    } else expect(out).toContain('(embedded broker, in memory)');
  });

  exercise(
    1,
    '500 ms per order is 2 msg/s, so 10 orders take about 5 s to drain',
    async () => {
      const cfg = (await get(`${C[0]}/config`)).body;
      expect(cfg).toMatchObject({ processing_time_ms: 500, paused: false, max_messages_per_second: 2 });
      expect((await lagNow()).total_lag).toBe(0);
      const consumedBefore = await consumedTotal([C[0]]);
      const res = await http('POST', `${P}/produce/batch?count=10`);
      const t0 = Date.now();
      expect(res.status).toBe(200);
      expect(res.body.produced).toBe(10);
      const afterOne = await lagAfter(Date.now());
      expect(afterOne.total_lag).toBeGreaterThan(0);
      await drainTo(0, 20_000);
      const seconds = (Date.now() - t0) / 1000;
      // One consumer, one order at a time: ten orders cannot finish in less than 10 x 0.5 s.
      // Only the ceiling is asserted: a loaded machine can make the drain slower, never faster.
      expect(seconds).toBeGreaterThanOrEqual(4.5);
      expect(10 / seconds).toBeLessThanOrEqual(2.2);
      expect((await consumedTotal([C[0]])) - consumedBefore).toBe(10);
    },
    40_000,
  );

  exercise(
    2,
    '10 orders every 100 ms (100 msg/s) against 10 msg/s builds lag fast',
    async () => {
      // From here on 100 ms per order (10 msg/s): exercise 1's arithmetic, five times quicker.
      const set = await post(`${C[0]}/config`, { processing_time_ms: 100 });
      expect(set.body).toMatchObject({ processing_time_ms: 100, max_messages_per_second: 10 });
      const before = (await get(`${P}/stats`)).body;
      const cfg = await post(`${P}/config`, { rate_ms: 100, batch_size: 10, running: true });
      expect(cfg.status).toBe(200);
      expect(cfg.body).toMatchObject({
        rate_ms: 100,
        batch_size: 10,
        running: true,
        messages_per_second: 100,
      });
      await sleep(2000);
      const first = await lagNow();
      await sleep(5000);
      const second = await lagNow();
      expect(second.total_lag).toBeGreaterThan(first.total_lag);
      expect(second.rate_of_change).toBeGreaterThan(10); // lab: > 10/s is a warning
      expect(second.status).not.toBe('ok');
      // On to the lab's critical threshold, awaited rather than timed: on Kafka acks=all waits for the
      // followers, a tick can outlast rate_ms, and the auto-producer skips such ticks (skipped_ticks)
      // instead of queueing them, so lag builds more slowly there than the 100 msg/s asked for.
      await until(
        'lag past the critical threshold',
        async () => ((await lagNow()).total_lag > 600 ? true : undefined),
        30_000,
      );
      const stop = await http('POST', `${P}/stop`);
      expect(stop.body.running).toBe(false);
      // Every tick that ran delivers its ten orders (the last may still be in flight); none fails.
      const stats = await until('the last tick to be acknowledged', async () => {
        const st = (await get(`${P}/stats`)).body;
        const ticks = st.auto_producer.ticks - before.auto_producer.ticks;
        return st.produced - before.produced === 10 * ticks ? st : undefined;
      });
      expect(stats.errors).toBe(before.errors);
      const final = await lagAfter(Date.now() + 200);
      // Production outran consumption about tenfold: most of what was produced is still lag. On Kafka
      // the ratio depends on how many ticks the acknowledgement latency made the producer skip.
      if (target().kind === 'sluice') expect(final.total_lag).toBeGreaterThan(0.6 * (stats.produced - 10));
      expect(final.total_lag).toBeGreaterThan(500);
      expect(final.status).toBe('critical'); // lab: > 500 critical
    },
    60_000,
  );

  exercise(3, 'the lab metric names and recommendations', async () => {
    const metrics = (await get<string>(`${M}/metrics`)).body;
    for (const name of [
      'kafka_consumer_group_lag_total',
      'kafka_consumer_group_lag',
      'kafka_lag_status',
      'kafka_lag_rate_of_change',
    ]) {
      expect(metrics).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
    }
    const total = Number(/^kafka_consumer_group_lag_total\{[^}]*\} (\S+)$/m.exec(metrics)?.[1]);
    expect(total).toBeGreaterThan(500);
    expect(Number(/^kafka_lag_status\{[^}]*\} (\S+)$/m.exec(metrics)?.[1])).toBe(2);
    const consumerMetrics = (await get<string>(`${C[0]}/metrics`)).body;
    expect(consumerMetrics).toMatch(/^kafka_messages_consumed_total\{consumer="consumer-1"\} \d+/m);
    expect(consumerMetrics).toMatch(/^kafka_consumer_paused\{consumer="consumer-1"\} 0/m);
    const rec = (await get(`${M}/recommendations`)).body;
    expect(rec.recommendations.length).toBeGreaterThan(0);
    expect(rec.recommendations[0].severity).toBe('critical');
  });

  exercise(
    4,
    'three consumers drain lag about three times faster than one',
    async () => {
      const rate = async (urls: string[], ms: number) => {
        const a = await lagNow();
        // The clock runs from before the first count to after the second, so the HTTP round trips
        // in between can only lower the measured rate, never raise it past the consumers' limit.
        const t0 = Date.now();
        const c0 = await consumedTotal(urls);
        await sleep(ms);
        const c1 = await consumedTotal(urls);
        const t1 = Date.now();
        const b = await lagNow();
        const dt = (Date.parse(b.timestamp) - Date.parse(a.timestamp)) / 1000;
        return {
          lagPerSec: (a.total_lag - b.total_lag) / dt,
          consumedPerSec: (c1 - c0) / ((t1 - t0) / 1000),
        };
      };
      const one = await rate([C[0]], 4000);
      expect(one.consumedPerSec).toBeLessThanOrEqual(11); // 1000 / 100 ms, never more
      expect(one.consumedPerSec).toBeGreaterThan(0);
      // The lab's `docker compose --profile scaled up -d consumer-2 consumer-3`:
      const scaled = await post(`${M}/lab/scale`, { consumers: 3 });
      expect(scaled.status).toBe(200);
      expect(scaled.body.consumers).toBe(3);
      // The new instances bound ports of their own: the lab's description lists them.
      C = (await get(`${M}/lab`)).body.consumers;
      expect(C).toHaveLength(3);
      const assignments = await until('three members to share the six partitions', async () => {
        const parts = await Promise.all(
          C.map(async (u) => (await get(`${u}/stats`)).body.assigned_partitions as number[]),
        );
        return parts.every((p) => p.length === 2) ? parts : undefined;
      });
      expect(assignments.flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
      for (const u of C.slice(1)) await post(`${u}/config`, { processing_time_ms: 100 });
      await sleep(500);
      const three = await rate(C, 4000);
      // Ceilings from the processing time, and the ordering the exercise teaches (more consumers drain
      // faster); no lower bound on a wall-clock rate, which a loaded 2-core machine can break.
      expect(three.consumedPerSec, JSON.stringify({ one, three })).toBeLessThanOrEqual(33);
      expect(three.consumedPerSec, JSON.stringify({ one, three })).toBeGreaterThan(one.consumedPerSec);
      expect(three.lagPerSec, JSON.stringify({ one, three })).toBeGreaterThan(one.lagPerSec);
      for (const u of C) {
        const s = (await get(`${u}/stats`)).body;
        expect(s.consumed).toBeGreaterThan(0);
      }
    },
    60_000,
  );

  exercise(
    5,
    'pause lets lag grow by exactly what was produced; resume drains it',
    async () => {
      // Clean slate: drain quickly, then back to the single consumer of the lab's exercise.
      for (const u of C) await http('POST', `${u}/fast?time_ms=5`);
      await drainTo(0, 30_000);
      expect((await post(`${M}/lab/scale`, { consumers: 1 })).body.consumers).toBe(1);
      await until('consumer-1 to own all partitions again', async () =>
        (await get(`${C[0]}/stats`)).body.assigned_partitions.length === 6 ? true : undefined,
      );
      await http('POST', `${C[0]}/fast?time_ms=100`);
      expect((await lagNow()).total_lag).toBe(0);

      const paused = await http('POST', `${C[0]}/pause`);
      expect(paused.body.paused).toBe(true);
      const health = (await get(`${C[0]}/health`)).body;
      expect(health).toMatchObject({ paused: true });
      const consumedBefore = await consumedTotal([C[0]]);
      const burst = await http('POST', `${P}/burst`, { json: { count: 100, delay_ms: 10 } });
      expect(burst.status).toBe(200);
      expect(burst.body.produced).toBe(100);
      const grown = await lagAfter(Date.now());
      expect(grown.total_lag).toBe(100);
      await sleep(1000);
      expect((await lagNow()).total_lag).toBe(100);
      expect(await consumedTotal([C[0]])).toBe(consumedBefore);
      expect((await get<string>(`${C[0]}/metrics`)).body).toMatch(
        /^kafka_consumer_paused\{consumer="consumer-1"\} 1/m,
      );

      const resumed = await http('POST', `${C[0]}/resume`);
      expect(resumed.body.paused).toBe(false);
      await drainTo(0, 30_000);
      expect((await consumedTotal([C[0]])) - consumedBefore).toBe(100);
    },
    90_000,
  );

  exercise(
    6,
    '50 ms per order is 20 msg/s; 50 msg/s still builds lag, only slower; 2000 ms is 0.5 msg/s',
    async () => {
      const fast = await http('POST', `${C[0]}/fast?time_ms=50`);
      expect(fast.body).toMatchObject({ processing_time_ms: 50, max_messages_per_second: 20 });
      const t0 = Date.now();
      const produced0 = (await get(`${P}/stats`)).body.produced;
      const consumed0 = await consumedTotal([C[0]]);
      const cfg = await post(`${P}/config`, { rate_ms: 100, batch_size: 5, running: true });
      expect(cfg.body.messages_per_second).toBe(50);
      await sleep(3000);
      await http('POST', `${P}/stop`);
      const produced = (await get(`${P}/stats`)).body.produced - produced0;
      const consumed = (await consumedTotal([C[0]])) - consumed0;
      const seconds = (Date.now() - t0) / 1000;
      // Counts, not rates: at most 50/s in and 20/s out (ceilings a slow machine cannot break), and
      // more in than out, so lag still builds, only slower than exercise 2.
      const counts = JSON.stringify({ produced, consumed, seconds });
      expect(produced, counts).toBeLessThanOrEqual(50 * seconds + 5);
      expect(consumed, counts).toBeLessThanOrEqual(20 * seconds + 1);
      expect(produced, counts).toBeGreaterThan(consumed);
      const slow = await http('POST', `${C[0]}/slow?time_ms=2000`);
      expect(slow.body).toMatchObject({ processing_time_ms: 2000, max_messages_per_second: 0.5 });
    },
    30_000,
  );

  exercise(
    7,
    'a burst of 500 raises a critical alert and scale-out advice; three consumers recover',
    async () => {
      await http('POST', `${C[0]}/fast?time_ms=100`);
      const burst = await http('POST', `${P}/burst`, { json: { count: 500, delay_ms: 5 } });
      expect(burst.body.produced).toBe(500);
      const lag = await lagAfter(Date.now());
      expect(lag.total_lag).toBeGreaterThan(500);
      const alerts = await until('a critical lag alert', async () => {
        const a = (await get(`${M}/alerts`)).body;
        return a.active.some((x: { kind: string }) => x.kind === 'lag_critical') ? a : undefined;
      });
      expect(alerts.active.find((x: { kind: string }) => x.kind === 'lag_critical').severity).toBe(
        'critical',
      );
      const rec = (await get(`${M}/recommendations`)).body.recommendations;
      expect(rec.some((r: { kind: string }) => r.kind === 'scale_out')).toBe(true);
      expect((await post(`${M}/lab/scale`, { consumers: 3 })).body.consumers).toBe(3);
      C = (await get(`${M}/lab`)).body.consumers; // new instances, new ports
      for (const u of C)
        await until(`${u} to answer`, async () =>
          (await get(`${u}/health`)).status === 200 ? true : undefined,
        );
      // Recovery at three times 10 msg/s would take ~20 s; run it at 10 ms per order to keep the file short.
      for (const u of C) await http('POST', `${u}/fast?time_ms=10`);
      await drainTo(0, 40_000);
      const status = await until('status ok again', async () => {
        const s = (await get(`${M}/status`)).body;
        return s.status === 'ok' ? s : undefined;
      });
      expect(status.total_lag).toBe(0);
    },
    90_000,
  );
}
