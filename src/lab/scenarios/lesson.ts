import { MemorySource } from '../../consumer/memory-source.js';
import { ConsumerRuntime } from '../../consumer/runtime.js';
import type { Sink } from '../../consumer/types.js';
import { VirtualClock } from '../../flow/clock.js';
import { Credits } from '../../flow/credits.js';
import { simulate } from '../../flow/simulation/index.js';
import { type Scenario, type ScenarioOutcome, SEEDS } from './types.js';

/**
 * The lesson's loop on Sluice's consumer runtime (the same code the lab's consumer runs), on a virtual
 * clock: a backlog of 5,000 booking events in an in-memory log, MAX_IN_FLIGHT 2,000, polls of at most 500,
 * and the PostgreSQL sink stuck behind its index rebuild (a write takes a minute). Records held before
 * each fetch are sampled: the steps between them are what each poll handed over (a fetch may bring more
 * into the runtime's buffer, as Kafka's does; max.poll.records bounds what a poll hands on).
 */
async function runtimeLoop(): Promise<ScenarioOutcome> {
  const clock = new VirtualClock(0);
  const topic = 'booking-events';
  const source = new MemorySource([{ topic, partition: 0 }], { clock });
  source.append(
    topic,
    0,
    Array.from({ length: 5_000 }, (_, i) => ({ key: `booking-${i}`, value: 'x'.repeat(100) })),
  );
  const sink: Sink = { name: 'passenger_manifest', write: (_r, ctx) => clock.sleep(60_000, ctx.signal) };
  const runtime = new ConsumerRuntime({
    source,
    sink,
    clock,
    maxInFlight: 2000,
    maxPollRecords: 500,
    concurrency: 1,
    ordering: 'none',
    random: () => 0.5,
  });
  const heldAtFetch: number[] = [];
  const fetch = source.fetch.bind(source);
  source.fetch = (partitions, limits) => {
    heldAtFetch.push(runtime.stats().inFlightRecords);
    return fetch(partitions, limits);
  };
  await runtime.start();
  for (let i = 0; i < 20; i++) await clock.advance(10);
  const stats = runtime.stats();
  let done = false;
  const stopping = runtime.stop().finally(() => {
    done = true;
  });
  for (let i = 0; i < 10_000 && !done; i++) await clock.advance(1000);
  await stopping;
  const held = [...heldAtFetch, stats.inFlightRecords];
  const polls = held
    .slice(1)
    .map((h, i) => h - held[i])
    .filter((n) => n > 0);
  return {
    trace: [
      ...polls.map((n, i) => `poll ${i + 1}: ${n} records handed over`),
      `${stats.inFlightRecords} in flight: no permits left, the loop waits for a write to finish`,
    ],
    figures: [
      { what: 'most records in flight', seed: 2000, sluice: stats.peakInFlightRecords, tolerance: 0 },
      { what: 'largest poll', seed: 500, sluice: Math.max(...polls), tolerance: 0 },
      {
        what: 'polls of 500 before the loop waits',
        seed: 2000 / 500,
        sluice: polls.filter((n) => n >= 499).length,
        tolerance: 0,
      },
    ],
    note: 'The first poll is the runtime’s probe (a 1-byte fetch that learns the record size), the last takes the 499 permits left. The rest of the 5,000 stays in the log (the broker), where the backlog is durable: lag, not heap.',
  };
}

const runtimeLoopScenario: Scenario = {
  name: 'lesson-runtime-loop',
  seed: SEEDS.lesson,
  passage:
    'the credit loop on Sluice’s consumer runtime: MAX_IN_FLIGHT = 2000, poll at most 500, a stalled sink: lag grows in the log, not in the heap',
  run: runtimeLoop,
};

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
  runtimeLoopScenario,
];
