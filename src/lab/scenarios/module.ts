import { Broker } from '../../broker/broker.js';
import { createLogger } from '../../broker/logger.js';
import { Admin } from '../../client/admin.js';
import { KafkaBrokerError } from '../../client/errors.js';
import { Producer } from '../../client/producer.js';
import { RealClock, VirtualClock } from '../../flow/clock.js';
import { simulate } from '../../flow/simulation/index.js';
import { type Scenario, type ScenarioOutcome, SEEDS } from './types.js';

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
    run: null,
    missing: '`sluice simulate --count 20` does not exist yet',
  },
  {
    name: 'module-quota-reject',
    seed: SEEDS.module,
    passage: 'Kinesis-style reject when a shard is over its limit',
    run: quotaRejectOnBroker,
  },
];
