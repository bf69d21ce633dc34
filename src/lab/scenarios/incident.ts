import { Credits } from '../../flow/credits.js';
import { simulate } from '../../flow/simulation/index.js';
import { type Scenario, type ScenarioOutcome, SEEDS } from './types.js';

/** The diagram's push model: 10,000 msg/s into a consumer of 5,000 msg/s. */
const PUSH = { produceRate: 10_000, consumeRate: 5_000 } as const;

const pushVsPull: Scenario = {
  name: 'incident-push-vs-pull',
  seed: SEEDS.incident,
  passage:
    'push (no backpressure): 10000 msg/s → queue "fills up!" → 5000 msg/s; pull: the queue keeps a controlled size',
  run: () => {
    const push = simulate({ ...PUSH, policy: 'buffer', durationSec: 60 });
    const pull = simulate({ ...PUSH, policy: 'block', capacity: 1000, durationSec: 60 });
    const last = pull.rows[pull.rows.length - 1];
    return {
      figures: [
        { what: 'push: queue growth (msg/s)', seed: 10_000 - 5_000, sluice: push.growthPerSec },
        { what: 'pull: producer held to (msg/s)', seed: 5_000, sluice: last.producerRate },
        { what: 'pull: most queued', seed: 1000, sluice: pull.totals.maxQueued, tolerance: 0 },
      ],
      note: `After a minute the push queue holds ${push.totals.lag.toLocaleString('en-US')}; the pulled one never more than its 1,000 (a fetch's worth).`,
    };
  },
};

const bufferBloat: Scenario = {
  name: 'incident-buffer-bloat',
  seed: SEEDS.incident,
  passage: 'buffer bloat: producing and consuming for 60 s, the queue grows unbounded, OOM at 60s',
  run: () => {
    // The seed gives no heap size: take the one the diagram's rates fill in 60 s (1 KiB messages).
    const heapBytes = (PUSH.produceRate - PUSH.consumeRate) * 60 * 1024;
    const r = simulate({ ...PUSH, policy: 'buffer', durationSec: 120, memoryLimitBytes: heapBytes });
    return {
      figures: [{ what: 'out of memory at (s)', seed: 60, sluice: r.totals.crashedAtSec ?? Number.NaN }],
      note: `The seed names no heap size; at 5,000 msg/s of growth and 1 KiB each, 60 s is ${(heapBytes / 1024 / 1024).toFixed(0)} MiB. A heap twice that lasts twice as long: a bigger buffer only postpones the OOM.`,
    };
  },
};

const tableRates: Scenario = {
  name: 'incident-table-rates',
  seed: SEEDS.incident,
  passage:
    '"In-Flight Messages Over Time" table read at its own pace: +50,000 produced and +5,000 consumed every 10 s',
  run: () => {
    const r = simulate({
      produceRate: 5_000,
      consumeRate: 500,
      policy: 'buffer',
      durationSec: 50,
      intervalSec: 10,
    });
    const at = (sec: number) => r.rows.find((row) => row.timeSec === sec)!;
    return {
      trace: r.rows.map((row) => `T=${row.timeSec}s: ${row.produced} produced, ${row.consumed} consumed`),
      figures: [
        { what: 'produced by T=50s', seed: 250_000, sluice: at(50).produced, tolerance: 0.001 },
        { what: 'consumed by T=50s', seed: 25_000, sluice: at(50).consumed, tolerance: 0.001 },
        {
          what: 'produced at T=0 (the first millisecond)',
          seed: 10_000,
          sluice: simulate({ produceRate: 5_000, consumeRate: 500, policy: 'buffer', durationSec: 0.001 })
            .totals.produced,
          fromSeedInputs: 5_000 * 0.001,
          tolerance: 0,
        },
      ],
      note: 'Rows T=10s to T=50s follow 5,000 msg/s in and 500 msg/s out (the observation’s consumer); the T=0 row’s 10,000 produced fits no rate: at the table’s own 5,000 msg/s the first millisecond holds 5.',
    };
  },
};

const observation: Scenario = {
  name: 'incident-observation',
  seed: SEEDS.incident,
  passage:
    'observation: producer 10,000 msg/s, consumer fetches 1000 per batch and processes 500 msg/s: in-flight grows unbounded',
  run: () => {
    // processAsync returns at once, so every fetched batch is in flight: the consumer side holds what it cannot process.
    const r = simulate({ produceRate: 10_000, consumeRate: 500, policy: 'buffer', durationSec: 60 });
    return {
      figures: [
        { what: 'in-flight growth (msg/s)', seed: 10_000 - 500, sluice: r.growthPerSec },
        { what: 'in flight after 60 s', seed: 9_500 * 60, sluice: r.totals.lag },
      ],
    };
  },
};

const goChannel: Scenario = {
  name: 'incident-go-channel',
  seed: SEEDS.incident,
  passage:
    '`ch := make(chan Message, 10000)`: never blocks (until the buffer is full), at 10,000 msg/s against 5,000',
  run: () => {
    const r = simulate({ ...PUSH, policy: 'block', capacity: 10_000, durationSec: 30 });
    const last = r.rows[r.rows.length - 1];
    return {
      figures: [
        {
          what: 'buffer full after (s)',
          seed: 10_000 / (10_000 - 5_000),
          sluice: r.totals.fullAtSec ?? Number.NaN,
        },
        { what: 'then the sender is held to (msg/s)', seed: 5_000, sluice: last.producerRate },
      ],
      note: 'The large buffer only delays the blocking by two seconds; it hides the mismatch, it does not remove it.',
    };
  },
};

/**
 * The incident's credit window: 1000 credits up front, 100 per send, the producer stops when credits
 * are down to 100, the consumer processes 500 and grants 500. Run on Sluice's `Credits`.
 */
function creditTrace(): ScenarioOutcome {
  const credits = new Credits({ initial: 1000 });
  const trace = [`start: ${credits.available} credits`];
  let sends = 0;
  while (credits.available > 100 && credits.tryAcquire(100)) {
    sends++;
    trace.push(`send ${sends}: 100 messages, ${credits.available} credits left`);
  }
  const stoppedAt = credits.available;
  trace.push(`credits low (${stoppedAt}): the producer stops`);
  credits.grant(500);
  trace.push(`the consumer processes 500 and grants 500: ${credits.available} credits, the producer resumes`);
  return {
    trace,
    figures: [
      { what: 'credits when the producer stops', seed: 100, sluice: stoppedAt, tolerance: 0 },
      { what: 'messages sent before stopping', seed: 900, sluice: sends * 100, tolerance: 0 },
      { what: 'credits after the grant', seed: 600, sluice: credits.available, tolerance: 0 },
    ],
    note: 'The diagram shows two sends then "credits low: 100": 1000 − 100 per send reaches 100 after nine sends.',
  };
}

/** incident-106's examples: the in-flight table, the credit window. */
export const INCIDENT_SCENARIOS: Scenario[] = [
  pushVsPull,
  bufferBloat,
  {
    name: 'incident-inflight-table',
    seed: SEEDS.incident,
    passage:
      '"In-Flight Messages Over Time": producer 10,000 msg/s, consumer 5,000 msg/s; T=10s: 50,000 produced, 5,000 consumed',
    run: () => {
      const r = simulate({
        produceRate: 10_000,
        consumeRate: 5_000,
        policy: 'buffer',
        durationSec: 50,
        intervalSec: 10,
        memoryLimitBytes: 1e15,
      });
      const at10 = r.rows.find((row) => row.timeSec === 10)!;
      return {
        trace: r.rows.map(
          (row) =>
            `T=${row.timeSec}s: ${row.produced} produced, ${row.consumed} consumed, ${row.lag} in flight`,
        ),
        figures: [
          {
            what: 'produced by T=10s',
            seed: 50_000,
            sluice: at10.produced,
            fromSeedInputs: 10_000 * 10,
            tolerance: 0.001,
          },
          {
            what: 'consumed by T=10s',
            seed: 5_000,
            sluice: at10.consumed,
            fromSeedInputs: 5_000 * 10,
            tolerance: 0.001,
          },
        ],
        note: "The table's columns grow 5,000/s and 500/s (the latter is the observation's \"500 msg/s\"), not the diagram's 10,000 and 5,000: at those rates T=10s has 100,000 produced, 50,000 consumed and 50,000 in flight.",
      };
    },
  },
  {
    name: 'incident-credits',
    seed: SEEDS.incident,
    passage:
      'credit-based flow control: initial credits 1000, send 100 messages per step, stop at 100, grant 500',
    run: creditTrace,
  },
  tableRates,
  observation,
  goChannel,
];
