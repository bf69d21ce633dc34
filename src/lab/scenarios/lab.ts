import { simulate } from '../../flow/simulation/index.js';
import { resolveMonitorConfig } from '../../monitor/config.js';
import { type Scenario, SEEDS } from './types.js';

/** When `count` orders produced at once are all handled by consumers worth `ratePerSec` in all (s). */
function drainSeconds(count: number, ratePerSec: number): number {
  const r = simulate({ produceRate: 1e6, consumeRate: ratePerSec, count, policy: 'buffer' });
  return r.totals.allHandledAtSec ?? Number.NaN;
}

const exercise1: Scenario = {
  name: 'lab-exercise-1',
  seed: SEEDS.lab,
  passage:
    'exercise 1: produce 10 messages into a consumer at 500 ms (2/s): how long until lag reaches 0? (checked after 10 s)',
  run: () => {
    const r = simulate({ produceRate: 1e6, processingMs: 500, count: 10, policy: 'buffer', durationSec: 10 });
    return {
      figures: [
        { what: 'seconds until lag is 0', seed: 10 / 2, sluice: r.totals.allHandledAtSec ?? Number.NaN },
        { what: 'lag after 10 s', seed: 0, sluice: r.totals.lag, tolerance: 0 },
      ],
    };
  },
};

const exercise4: Scenario = {
  name: 'lab-exercise-4-scale',
  seed: SEEDS.lab,
  passage: 'exercise 4: start consumer-2 and consumer-3: consumption rate triples, lag decreases 3x faster',
  run: () => {
    const backlog = 600;
    const one = drainSeconds(backlog, 2);
    const three = drainSeconds(backlog, 3 * 2);
    return {
      figures: [
        { what: 'consumption rate, 3 consumers over 1', seed: 3, sluice: backlog / three / (backlog / one) },
        { what: 'seconds to clear 600 orders with 3 consumers', seed: backlog / 6, sluice: three },
      ],
      note: `One consumer at 500 ms clears 600 orders in ${one.toFixed(1)} s, three in ${three.toFixed(1)} s. The simulator takes the group as one consumer of the summed rate: it assumes the six partitions are shared evenly and each consumer works its own (the lab's fair-consumption test checks that part).`,
    };
  },
};

const exercise5: Scenario = {
  name: 'lab-exercise-5-pause',
  seed: SEEDS.lab,
  passage:
    'exercise 5: pause, burst of 100 orders 10 ms apart, lag grows while paused; resume and watch recovery at 2/s',
  run: () => {
    // Paused: nothing is handed to the sink, so the lag is the whole burst (a consumer too slow to finish one in the burst's second).
    const paused = simulate({
      produceRate: 100,
      processingMs: 1e7,
      count: 100,
      policy: 'buffer',
      durationSec: 1,
    });
    const recovery = drainSeconds(100, 2);
    return {
      figures: [
        { what: 'lag while paused', seed: 100, sluice: paused.totals.lag, tolerance: 0 },
        { what: 'seconds to recover after resume', seed: 100 / 2, sluice: recovery },
      ],
    };
  },
};

const exercise6: Scenario = {
  name: 'lab-exercise-6-fast',
  seed: SEEDS.lab,
  passage:
    'exercise 6: fast mode 50 ms (20 msg/s) against 5 per 100 ms (50/s): "still building lag, but slower" than exercise 2',
  run: () => {
    const fast = simulate({ produceRate: 50, processingMs: 50, policy: 'buffer', durationSec: 60 });
    const exercise2 = simulate({ produceRate: 100, processingMs: 500, policy: 'buffer', durationSec: 60 });
    return {
      figures: [
        { what: 'lag growth (msg/s)', seed: 50 - 20, sluice: fast.growthPerSec },
        { what: 'lag after 60 s', seed: 30 * 60, sluice: fast.totals.lag },
        {
          what: 'slower than exercise 2 (its growth, msg/s)',
          seed: exercise2.growthPerSec,
          sluice: fast.growthPerSec,
          bound: 'below',
        },
      ],
    };
  },
};

const exercise7Scale: Scenario = {
  name: 'lab-exercise-7-scale',
  seed: SEEDS.lab,
  passage:
    'exercise 7: after the burst, follow the recommendations and scale to 3 consumers at 100 ms (10 msg/s each)',
  run: () => {
    const peak = burstPeak(500, 5, 100);
    const one = drainSeconds(peak, 10);
    const three = drainSeconds(peak, 30);
    return {
      figures: [
        { what: 'recovery rate with 3 consumers (msg/s)', seed: 3 * 10, sluice: peak / three },
        { what: 'recovery, 1 consumer over 3 (times longer)', seed: 3, sluice: one / three },
      ],
      note: `The burst's peak of ${peak} clears in ${three.toFixed(1)} s with three consumers, ${one.toFixed(1)} s with one. (The lab's scaled consumers inherit the running ones' settings, so they too are at 100 ms.)`,
    };
  },
};

const thresholds: Scenario = {
  name: 'lab-thresholds',
  seed: SEEDS.lab,
  passage: 'key metrics: total lag > 500 critical, rate of change > 10/sec warning; exercise 2 crosses both',
  run: () => {
    const t = resolveMonitorConfig().thresholds;
    const r = simulate({
      produceRate: 100,
      processingMs: 500,
      policy: 'buffer',
      durationSec: 10,
      intervalSec: 0.01,
    });
    const critical = r.rows.find((row) => row.lag > t.criticalLag)?.timeSec ?? Number.NaN;
    return {
      figures: [
        { what: 'critical above (lag)', seed: 500, sluice: t.criticalLag, tolerance: 0 },
        { what: 'warning above (lag growth, /s)', seed: 10, sluice: t.warningRate, tolerance: 0 },
        { what: 'exercise 2 turns critical after (s)', seed: 500 / 98, sluice: critical, tolerance: 0.05 },
        {
          what: 'exercise 2 lag growth, over the warning rate (/s)',
          seed: t.warningRate,
          sluice: r.growthPerSec,
          bound: 'above',
        },
      ],
      note: 'The thresholds are the monitor’s defaults (`sluice monitor --critical-lag`, `--warning-rate` change them).',
    };
  },
};

/** Consumer capacity by simulation: a producer far faster than the consumer, the consumer's finished events per second. */
function simulatedCapacity(processingMs: number): number {
  // A producer ten times faster than the consumer, long enough for 1,000 messages so the first one's processing time does not count much.
  const durationSec = processingMs;
  const r = simulate({
    produceRate: 10_000 / processingMs,
    processingMs,
    policy: 'block',
    capacity: 10,
    durationSec,
  });
  return r.totals.consumed / durationSec;
}

/** Peak lag of a burst of `count` orders `delayMs` apart into a consumer at `processingMs` per order. */
function burstPeak(count: number, delayMs: number, processingMs: number): number {
  const rate = 1000 / delayMs;
  const r = simulate({
    produceRate: 1e-3,
    processingMs,
    policy: 'buffer',
    durationSec: (count / rate) * 2,
    burst: { rate, seconds: count / rate, everySec: 1e6 },
  });
  return r.totals.maxQueued;
}

/** Lab 45's examples: consumer capacity, exercise 2's lag growth, exercise 7's burst. */
export const LAB_SCENARIOS: Scenario[] = [
  exercise1,
  {
    name: 'lab-capacity',
    seed: SEEDS.lab,
    passage:
      '`1000ms / processing_time_ms = max msg/sec` (50 ms → 20 msg/s, 2000 ms → 0.5, 100 ms → 10, 500 ms → 2)',
    run: () => ({
      figures: [50, 2000, 100, 500].map((ms) => ({
        what: `msg/s at ${ms} ms per message`,
        seed: 1000 / ms,
        sluice: simulatedCapacity(ms),
        tolerance: 0.05,
      })),
    }),
  },
  {
    name: 'lab-exercise-2',
    seed: SEEDS.lab,
    passage: 'auto-producer at 10 msg/100ms = 100 msg/sec against a consumer at 500 ms (2 msg/s)',
    run: () => {
      const r = simulate({ produceRate: 100, processingMs: 500, policy: 'buffer', durationSec: 60 });
      return {
        figures: [
          { what: 'lag growth (msg/s)', seed: 98, sluice: r.growthPerSec },
          { what: 'lag after 60 s', seed: 98 * 60, sluice: r.totals.lag },
        ],
      };
    },
  },
  {
    name: 'lab-burst-threshold',
    seed: SEEDS.lab,
    passage:
      'exercise 7: burst of 500 orders 5 ms apart against a consumer at 100 ms; lag over 500 is critical',
    run: () => {
      const seedBurst = burstPeak(500, 5, 100);
      const crossing = burstPeak(600, 5, 100);
      return {
        figures: [
          { what: 'peak lag of the seed’s burst (critical above 500)', seed: 500, sluice: seedBurst },
        ],
        note: `The consumer works off 10/s while the burst lasts 2.5 s, so the peak stays under 500 and no critical alert fires; 600 orders peak at ${crossing}, which crosses it (docs/lab.md, exercise 7).`,
      };
    },
  },
  exercise4,
  exercise5,
  exercise6,
  exercise7Scale,
  thresholds,
];
