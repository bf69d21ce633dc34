import { Broker } from '../../broker/broker.js';
import { createLogger } from '../../broker/logger.js';
import { Admin } from '../../client/admin.js';
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
    run: null,
    missing:
      'the reject mode does not refuse what exceeds the bucket’s burst, and clients report its error unclearly',
  },
];
