import { simulate } from '../../flow/simulation/index.js';
import { type Scenario, SEEDS } from './types.js';

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
];
