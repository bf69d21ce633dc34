import { Credits } from '../../flow/credits.js';
import { simulate } from '../../flow/simulation/index.js';
import { type Scenario, type ScenarioOutcome, SEEDS } from './types.js';

/** The lesson's loop: MAX_IN_FLIGHT 2000 permits, polls of at most min(available, 500) records. */
function pollTrace(): ScenarioOutcome {
  const permits = new Credits({ initial: 2000, max: 2000 });
  const trace: string[] = [];
  const polls: number[] = [];
  let peak = 0;
  for (let i = 1; i <= 5; i++) {
    const batch = permits.tryAcquireUpTo(Math.min(permits.available, 500));
    polls.push(batch);
    peak = Math.max(peak, 2000 - permits.available);
    trace.push(
      batch > 0
        ? `poll ${i}: ${batch} records, ${2000 - permits.available} in flight, ${permits.available} permits left`
        : `poll ${i}: no permits: wait_for_any_write_to_finish()`,
    );
  }
  permits.grant(500);
  const after = permits.tryAcquireUpTo(Math.min(permits.available, 500));
  trace.push(`500 writes finish: the next poll takes ${after}`);
  return {
    trace,
    figures: [
      {
        what: 'most records in flight',
        seed: 2000,
        sluice: peak,
        tolerance: 0,
      },
      { what: 'largest poll', seed: 500, sluice: Math.max(...polls), tolerance: 0 },
      {
        what: 'polls before the loop waits',
        seed: 4,
        sluice: polls.filter((p) => p > 0).length,
        tolerance: 0,
      },
    ],
  };
}

/** Day 493's examples: the in-flight limit with bounded polls, the burst into PostgreSQL. */
export const LESSON_SCENARIOS: Scenario[] = [
  {
    name: 'lesson-poll-limit',
    seed: SEEDS.lesson,
    passage: 'MAX_IN_FLIGHT = 2000; consumer.poll(max_records=min(available, 500))',
    run: pollTrace,
  },
  {
    name: 'lesson-burst',
    seed: SEEDS.lesson,
    passage:
      'a burst of 3,000 events per second while the PostgreSQL sink commits about 600 upserts per second',
    run: () => {
      const r = simulate({
        produceRate: 3000,
        consumeRate: 600,
        policy: 'buffer',
        durationSec: 120,
        memoryLimitBytes: 1e15,
      });
      return {
        figures: [
          { what: 'lag growth (events/s)', seed: 3000 - 600, sluice: r.growthPerSec },
          { what: 'lag after the 2-minute freshness budget', seed: 2400 * 120, sluice: r.totals.lag },
        ],
      };
    },
  },
];
