import { Credits } from '../../flow/credits.js';
import { simulate } from '../../flow/simulation/index.js';
import { type Scenario, type ScenarioOutcome, SEEDS } from './types.js';

/** Harbor Point's check-in burst against the slowed PostgreSQL sink, with the lesson's 5 KB per event. */
const CHECK_IN = { produceRate: 3_000, consumeRate: 600, eventBytes: 5_000 } as const;

const heap: Scenario = {
  name: 'lesson-heap',
  seed: SEEDS.lesson,
  passage:
    'deficit 2,400 events/s × roughly 5 KB each = about 12 MB of extra heap per second; five minutes of "let it buffer" is gigabytes',
  run: () => {
    const r = simulate({ ...CHECK_IN, policy: 'buffer', durationSec: 300, intervalSec: 60 });
    const atMinute = r.rows.find((row) => row.timeSec === 60)!;
    const atFive = r.rows[r.rows.length - 1];
    return {
      figures: [
        { what: 'extra heap per second (MB)', seed: 12, sluice: atMinute.memoryBytes / 60 / 1e6 },
        {
          what: 'extra heap after five minutes (GB)',
          seed: 1,
          sluice: atFive.memoryBytes / 1e9,
          bound: 'above',
        },
      ],
      note: `After five minutes the consumer holds ${(atFive.memoryBytes / 1e9).toFixed(1)} GB: "gigabytes", in a consumer sized for a few hundred megabytes.`,
    };
  },
};

const eightyThousand: Scenario = {
  name: 'lesson-80k-records',
  seed: SEEDS.lesson,
  passage: 'a consumer with 80,000 deserialized records waiting in RAM (sized for a few hundred megabytes)',
  run: () => {
    const r = simulate({ ...CHECK_IN, policy: 'buffer', durationSec: 60, intervalSec: 0.5 });
    const row = r.rows.find((x) => x.lag >= 80_000)!;
    return {
      figures: [
        {
          what: 'memory of 80,000 records at 5 KB (MB)',
          seed: (80_000 * 5_000) / 1e6,
          sluice: row.memoryBytes / 1e6,
          tolerance: 0.01,
        },
        {
          what: 'seconds of the burst to pile them up',
          seed: 80_000 / 2_400,
          sluice: row.timeSec,
          tolerance: 0.02,
        },
      ],
    };
  },
};

/** Staleness (oldest wait, s) after a 3,000/s burst of `seconds` against the 600/s sink. */
function stalenessAfterBurst(seconds: number): number {
  const r = simulate({
    produceRate: 1e-6,
    consumeRate: CHECK_IN.consumeRate,
    policy: 'buffer',
    burst: { rate: CHECK_IN.produceRate, seconds, everySec: 1e7 },
    durationSec: seconds * 6,
  });
  return r.totals.maxLatencySec;
}

const freshness: Scenario = {
  name: 'lesson-freshness',
  seed: SEEDS.lesson,
  passage:
    'the dashboard may run two minutes behind during a burst, but not forty minutes behind before boarding closes',
  run: () => {
    const budgetBurst = 120 / (CHECK_IN.produceRate / CHECK_IN.consumeRate - 1);
    const longBurst = 2400 / (CHECK_IN.produceRate / CHECK_IN.consumeRate - 1);
    return {
      figures: [
        {
          what: `staleness after a ${budgetBurst} s burst (s)`,
          seed: 120,
          sluice: stalenessAfterBurst(budgetBurst),
        },
        {
          what: `staleness after a ${longBurst / 60} min burst (s)`,
          seed: 40 * 60,
          sluice: stalenessAfterBurst(longBurst),
        },
      ],
      note: 'At 3,000/s in and 600/s out, each second of burst leaves the last event 4 s more to wait: 30 s of burst use the two-minute budget, 10 minutes give forty minutes behind.',
    };
  },
};

const bufferSizing: Scenario = {
  name: 'lesson-buffer-sizing',
  seed: SEEDS.lesson,
  passage: '"Can absorb 30 seconds at 3x load" is a defensible buffer size (normal load: about 500 events/s)',
  run: () => {
    const normal = 500;
    const capacity = (3 * normal - normal) * 30;
    const r = simulate({
      produceRate: 3 * normal,
      consumeRate: normal,
      eventBytes: 5_000,
      policy: 'block',
      capacity,
      durationSec: 60,
    });
    return {
      figures: [
        {
          what: `a ${capacity.toLocaleString('en-US')}-event buffer at 3x load is full after (s)`,
          seed: 30,
          sluice: r.totals.fullAtSec ?? Number.NaN,
        },
      ],
      note: `With the consumer at the normal 500/s, 3x load leaves 1,000/s over: 30 s of it is ${capacity.toLocaleString('en-US')} events, ${((capacity * 5_000) / 1e6).toFixed(0)} MB at 5 KB each.`,
    };
  },
};

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
  heap,
  eightyThousand,
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
  freshness,
  bufferSizing,
];
