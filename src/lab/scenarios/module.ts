import { Broker } from '../../broker/broker.js';
import { createLogger } from '../../broker/logger.js';
import { Admin } from '../../client/admin.js';
import { KafkaBrokerError } from '../../client/errors.js';
import { Producer } from '../../client/producer.js';
import { RealClock, VirtualClock } from '../../flow/clock.js';
import { renderChart, simulate } from '../../flow/simulation/index.js';
import { evaluateWindow } from '../../monitor/window-rules.js';
import { type Scenario, type ScenarioOutcome, SEEDS } from './types.js';

/** The module's opening picture: 1000 events/s into a consumer of 100/s. */
const MODULE_RATES = { produceRate: 1000, consumeRate: 100 } as const;

const noBackpressure: Scenario = {
  name: 'module-no-backpressure',
  seed: SEEDS.module,
  passage:
    'without backpressure: Producer 1000 events/sec → Queue → Consumer 100 events/sec; the queue grows unbounded → out of memory',
  run: () => {
    const limitMiB = 64;
    const r = simulate({
      ...MODULE_RATES,
      policy: 'buffer',
      durationSec: 600,
      memoryLimitBytes: limitMiB * 1024 * 1024,
    });
    return {
      figures: [
        { what: 'queue growth (events/s)', seed: 1000 - 100, sluice: r.growthPerSec },
        {
          what: 'runs out of memory (1 = yes)',
          seed: 1,
          sluice: r.totals.crashedAtSec === undefined ? 0 : 1,
          tolerance: 0,
        },
      ],
      note: `With 1 KiB events and a ${limitMiB} MiB heap the process dies after ${r.totals.crashedAtSec} s, losing the ${r.totals.lostInCrash.toLocaleString('en-US')} events it held.`,
    };
  },
};

const blocking: Scenario = {
  name: 'module-blocking',
  seed: SEEDS.module,
  passage: 'with backpressure: Producer 1000 events/sec → Queue (full!) → Blocked → Producer: 100 events/sec',
  run: () => {
    const r = simulate({ ...MODULE_RATES, policy: 'block', capacity: 10_000, durationSec: 60 });
    const last = r.rows[r.rows.length - 1];
    return {
      figures: [
        { what: 'producer rate once the queue is full (events/s)', seed: 100, sluice: last.producerRate },
        { what: 'events lost', seed: 0, sluice: r.totals.dropped + r.totals.lostInCrash, tolerance: 0 },
      ],
      note: `The 10,000-event queue is full after ${r.totals.fullAtSec} s; from then on the producer goes at the consumer's pace.`,
    };
  },
};

const sampling: Scenario = {
  name: 'module-sampling',
  seed: SEEDS.module,
  passage: 'question 1: traffic spikes 10x; C) sample events (keep 10%) and keep the system running',
  run: () => {
    // Normal traffic is what the processor handles (100/s); the spike is ten times that.
    const r = simulate({
      produceRate: 1000,
      consumeRate: 100,
      policy: 'sample',
      sampleEvery: 10,
      capacity: 1000,
      durationSec: 600,
    });
    return {
      figures: [
        {
          what: 'share of the spike that gets processed (%)',
          seed: 10,
          sluice: (100 * r.totals.consumed) / r.totals.produced,
          tolerance: 0.03,
        },
        {
          what: 'runs out of memory (1 = yes)',
          seed: 0,
          sluice: r.totals.crashedAtSec === undefined ? 0 : 1,
          tolerance: 0,
        },
      ],
      note: 'Sample policy, 1 in 10 of the overflow kept: the queue stays at its bound and the consumer keeps its 100/s.',
    };
  },
};

const lagDefinition: Scenario = {
  name: 'module-lag-definition',
  seed: SEEDS.module,
  passage: 'consumer lag: latest event offset 10,000, consumer current offset 9,500 → lag 500 events',
  run: () => {
    // 10,000 events arrive at once; at 100/s the consumer has finished 9,500 of them after about 95 s.
    const r = simulate({
      produceRate: 100_000,
      consumeRate: 100,
      count: 10_000,
      policy: 'buffer',
      // The 9,500th finishes just after 95 s (the first one arrived 10 µs in).
      durationSec: 95.001,
      intervalSec: 95.001,
    });
    const row = r.rows[r.rows.length - 1];
    return {
      figures: [
        { what: 'latest offset', seed: 10_000, sluice: row.produced, tolerance: 0 },
        { what: 'consumer offset', seed: 9_500, sluice: row.consumed, tolerance: 0 },
        { what: 'lag (events)', seed: 500, sluice: row.lag, tolerance: 0 },
      ],
    };
  },
};

const HOUR = 3600;

const retriesOnce: Scenario = {
  name: 'module-retries-once',
  seed: SEEDS.module,
  passage:
    'question 3 with one retry (`--failure-rate 50% --max-retries 1`): 50% of attempts fail, each failed event retried once',
  run: () => {
    const r = simulate({
      produceRate: 100,
      consumeRate: 100,
      failureRate: 0.5,
      maxRetries: 1,
      policy: 'buffer',
      durationSec: HOUR,
    });
    const left = r.totals.consumed + r.totals.deadLettered;
    return {
      figures: [
        { what: 'events/s processed successfully', seed: 50, sluice: r.totals.consumed / HOUR },
        {
          what: 'events behind after 1 hour',
          seed: 180_000,
          sluice: r.totals.lag,
          // The seed's inputs, read as one retry: an event takes 1 + 0.5 attempts on average, so 100 / 1.5
          // leave the backlog per second (succeeding or given up), not 50.
          fromSeedInputs: (100 - 100 / (1 + 0.5)) * HOUR,
        },
      ],
      note: `A quarter of the events fail twice and are given up (${((100 * r.totals.deadLettered) / left).toFixed(1)}% here, dead-lettered), and they leave the backlog too: it grows ${r.growthPerSec.toFixed(1)}/s, not 50/s. The seed's gap (100 − 50) counts only successes as leaving; with one retry it is 100 − 66.7 = 33.3/s, 120,000 after an hour. Its 180,000 holds when every failed event is retried until it succeeds (module-retries).`,
    };
  },
};

const retryCascade: Scenario = {
  name: 'module-retry-cascade',
  seed: SEEDS.module,
  passage:
    'question 3, cascade effect: retries consume more resources, slow processing further, lag grows faster',
  run: () => {
    const base = {
      produceRate: 100,
      consumeRate: 100,
      failureRate: 0.5,
      policy: 'buffer' as const,
      durationSec: HOUR,
      chartWidth: 40,
    };
    const free = simulate(base);
    const costly = simulate({ ...base, retryBackoffMs: 10 });
    return {
      trace: [
        'retries that cost only their attempt:',
        ...renderChart(free, 4).split('\n'),
        'each retry after a 10 ms backoff (the consumer waits it out):',
        ...renderChart(costly, 4).split('\n'),
      ],
      figures: [
        {
          what: 'lag growth with retries that cost time (events/s)',
          seed: 50,
          sluice: costly.growthPerSec,
          bound: 'above',
        },
        { what: 'events behind after 1 hour', seed: 180_000, sluice: costly.totals.lag, bound: 'above' },
      ],
      note: `Each event takes two attempts of 10 ms on average and one 10 ms backoff: ${costly.effectiveConsumeRate.toFixed(1)} events/s instead of 50, so the lag grows ${costly.growthPerSec.toFixed(1)}/s (both charts share the time axis; compare their peaks, ${free.totals.maxQueued.toLocaleString('en-US')} and ${costly.totals.maxQueued.toLocaleString('en-US')}).`,
    };
  },
};

const slowConsumer: Scenario = {
  name: 'module-slow-consumer',
  seed: SEEDS.module,
  passage:
    'step 2: the 20 events read by a consumer that takes 2.0 s per event; the lag (arrival to processing) grows',
  run: () => {
    const r = simulate({ produceRate: 2, processingMs: 2000, count: 20, policy: 'buffer' });
    const handledAt = r.totals.allHandledAtSec ?? Number.NaN;
    const firstArrival = 0.5;
    return {
      figures: [
        { what: 'events processed', seed: 20, sluice: r.totals.consumed, tolerance: 0 },
        {
          what: 'consumer throughput (events/s)',
          seed: 1 / 2.0,
          sluice: r.totals.consumed / (handledAt - firstArrival),
        },
        {
          what: 'lag of the last event beyond the first’s (s)',
          seed: 0,
          sluice: r.totals.lastLatencySec - 2,
          bound: 'above',
        },
      ],
      note: `Each event waits 1.5 s longer than the one before (2 s of work per 0.5 s between arrivals): the last waited ${r.totals.lastLatencySec - 2} s before its processing began.`,
    };
  },
};

const lagCheckpoint: Scenario = {
  name: 'module-lag-checkpoint',
  seed: SEEDS.module,
  passage:
    'checkpoint 3: lag grows from 100 to 10,000 events over an hour → investigate immediately, it keeps growing',
  run: () => {
    // A consumer 2.75 events/s short of its producer: 9,900 more behind after an hour.
    const r = simulate({
      produceRate: 100 + 9_900 / HOUR,
      consumeRate: 100,
      policy: 'buffer',
      durationSec: HOUR,
      intervalSec: 300,
    });
    const lag = r.rows.map((row) => 100 + row.lag);
    const verdict = evaluateWindow({
      end: r.rows.map((row) => 100 + row.produced),
      committed: r.rows.map((row) => row.consumed),
      lag,
      owned: true,
      allowedLag: 0,
      minSamples: 10,
    });
    return {
      figures: [
        { what: 'lag after the hour (from 100)', seed: 10_000, sluice: lag[lag.length - 1] },
        {
          what: 'monitor window status (0 ok, 1 warn, 2 error)',
          seed: 0,
          sluice: verdict.status === 'OK' ? 0 : verdict.status === 'WARN' ? 1 : 2,
          bound: 'above',
        },
      ],
      note: `The monitor's Burrow-style window rule over the hour's samples: ${verdict.status} (${verdict.reason}).`,
    };
  },
};

/** The module's retention change, on an embedded broker in memory: 24 h at creation, then 48 h. */
async function retentionOnBroker(): Promise<ScenarioOutcome> {
  const broker = new Broker(
    { host: '127.0.0.1', port: 0, dataDir: '.sluice-scenario', durability: 'memory' },
    { logger: createLogger('sluice-scenario', 'warn') },
  );
  const { port } = await broker.start();
  const admin = new Admin({ brokers: [`127.0.0.1:${port}`] });
  const hours = async () => {
    const [c] = await admin.describeConfigs({ type: 2, name: 'orders' }, ['retention.ms']);
    return Number(c.value) / 3_600_000;
  };
  try {
    await admin.createTopics([
      { topic: 'orders', numPartitions: 1, configs: { 'retention.ms': String(24 * 3_600_000) } },
    ]);
    const before = await hours();
    await admin.incrementalAlterConfigs(
      { type: 2, name: 'orders' },
      { 'retention.ms': String(48 * 3_600_000) },
    );
    return {
      figures: [
        { what: 'retention before (h)', seed: 24, sluice: before, tolerance: 0 },
        { what: 'retention after (h)', seed: 48, sluice: await hours(), tolerance: 0 },
      ],
    };
  } finally {
    await admin.close();
    await broker.stop();
  }
}

/**
 * The module's step 4 on an embedded broker whose partition takes 1,000 records/s in reject mode (a
 * Kinesis shard): 2,000 records sent at once in batches of 100, no client retries, so every refusal
 * shows. The broker's clock is virtual and stands still while they are sent, so the bucket holds exactly
 * one second's allowance; a second later the refused records are sent again. Then the single
 * 5,000-record batch, more than the shard takes in a second.
 */
async function quotaRejectOnBroker(): Promise<ScenarioOutcome> {
  // Starts at the real time: the broker checks record timestamps against its clock.
  const clock = new VirtualClock(new RealClock().now());
  const broker = new Broker(
    {
      host: '127.0.0.1',
      port: 0,
      dataDir: '.sluice-scenario',
      durability: 'memory',
      clock,
      quotas: { mode: 'reject', recordsPerSecond: 1000 },
    },
    { logger: createLogger('sluice-scenario', 'warn') },
  );
  const { port } = await broker.start();
  const brokers = [`127.0.0.1:${port}`];
  const producer = new Producer({ brokers, lingerMs: 0, batchBytes: 1 << 20, retry: { retries: 0 } });
  const batch = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => ({ topic: 'shard', partition: 0, value: `${tag}-${i}` }));
  // Sends batches one after another; answers how many records were stored and the errors of the rest.
  const sendAll = async (batches: ReturnType<typeof batch>[]) => {
    let stored = 0;
    const refused: ReturnType<typeof batch>[] = [];
    const errors = new Set<string>();
    for (const b of batches) {
      try {
        await producer.send(b);
        stored += b.length;
      } catch (err) {
        refused.push(b);
        errors.add(err instanceof KafkaBrokerError ? err.codeName : String(err));
      }
    }
    return { stored, refused, errors: [...errors] };
  };
  try {
    await new Admin({ brokers }).createTopics([{ topic: 'shard', numPartitions: 1 }]);
    const first = await sendAll(Array.from({ length: 20 }, (_, i) => batch(100, `b${i}`)));
    const refusedRecords = first.refused.reduce((n, b) => n + b.length, 0);
    await clock.advance(1000);
    const retried = await sendAll(first.refused);
    const burst = await sendAll([batch(5000, 'burst')]);
    return {
      trace: [
        `2,000 records in batches of 100: ${first.stored} stored, ${refusedRecords} refused (${first.errors.join(', ')}: retriable, every client retries it)`,
        `a second later, the refused ${refusedRecords} sent again: ${retried.stored} stored`,
        `one batch of 5,000: ${burst.stored} stored (${burst.errors.join(', ')}: over the second's allowance, it could never fit)`,
      ],
      figures: [
        {
          what: 'records accepted in the first second (shard capacity 1,000/s)',
          seed: 1000,
          sluice: first.stored,
          tolerance: 0,
        },
        {
          what: 'records refused with a throttling error',
          seed: 2000 - 1000,
          sluice: refusedRecords,
          tolerance: 0,
        },
        {
          what: 'refused records accepted when retried a second later',
          seed: 1000,
          sluice: retried.stored,
          tolerance: 0,
        },
      ],
      note: 'Kafka’s own produce quotas only throttle; Sluice’s reject mode answers REQUEST_TIMED_OUT, the code every client retries, with the reason in the message (Produce v8+). docs/compatibility.md lists what each client shows.',
    };
  } finally {
    await producer.close();
    await broker.stop();
  }
}

/** Module 3's examples: retries, retention, fixed counts, the quota's reject mode. */
export const MODULE_SCENARIOS: Scenario[] = [
  noBackpressure,
  blocking,
  sampling,
  lagDefinition,
  {
    name: 'module-retries',
    seed: SEEDS.module,
    passage:
      'question 3: 100 events/s, a bug makes 50% fail and retry: 50 events/s, after 1 hour 50 × 3600 = 180,000 behind',
    run: () => {
      const r = simulate({
        produceRate: 100,
        consumeRate: 100,
        failureRate: 0.5,
        seed: 1,
        policy: 'buffer',
        durationSec: 3600,
      });
      return {
        figures: [
          { what: 'events/s processed', seed: 50, sluice: r.totals.consumed / 3600 },
          { what: 'events behind after 1 hour', seed: 180_000, sluice: r.totals.lag },
        ],
        note: 'Seeded random failures, every failed attempt retried until it succeeds.',
      };
    },
  },
  retriesOnce,
  retryCascade,
  slowConsumer,
  lagCheckpoint,
  {
    name: 'module-retention',
    seed: SEEDS.module,
    passage: 'raise stream retention from 24 h to 48 h (`sluice topic alter orders --retention 48h`)',
    run: retentionOnBroker,
  },
  {
    name: 'module-fixed-count',
    seed: SEEDS.module,
    passage: '20 events, 0.5 s apart',
    run: () => {
      const r = simulate({ produceRate: 2, consumeRate: 1000, count: 20, policy: 'buffer' });
      const sentBy = r.rows.find((row) => row.produced === 20)?.timeSec ?? Number.NaN;
      return {
        figures: [
          { what: 'events sent', seed: 20, sluice: r.totals.produced, tolerance: 0 },
          { what: 'seconds to send them', seed: 20 * 0.5, sluice: sentBy },
          { what: 'throughput (events/s)', seed: 2.0, sluice: r.totals.produced / sentBy },
        ],
        note: '`sluice simulate --produce 2 --count 20`: the script sleeps 0.5 s after each put, so the 20th is out at 10 s.',
      };
    },
  },
  {
    name: 'module-quota-reject',
    seed: SEEDS.module,
    passage: 'Kinesis-style reject when a shard is over its limit',
    run: quotaRejectOnBroker,
  },
];
