import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durationMs } from '../../src/cli/commands/topic.js';
import { Admin } from '../../src/client/admin.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { killChildren, run } from '../helpers/run.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ durability: 'memory' });
});
afterAll(async () => {
  killChildren();
  await broker.stop();
});

describe('sluice topic alter', () => {
  it("the module's 24 h → 48 h: --retention 48h sets retention.ms and leaves the topic's other settings alone", async () => {
    const admin = new Admin({ brokers: [broker.bootstrap] });
    try {
      await admin.createTopics([
        {
          topic: 'orders',
          numPartitions: 1,
          configs: { 'retention.ms': String(24 * 3_600_000), 'segment.ms': '600000' },
        },
      ]);
      const out = await run(process.execPath, [
        '--import',
        'tsx',
        CLI,
        'topic',
        'alter',
        'orders',
        '--retention',
        '48h',
        '--brokers',
        broker.bootstrap,
      ]);
      expect(out.stdout).toMatch(/orders: retention\.ms=172800000/);
      const configs = await admin.describeConfigs({ type: 2, name: 'orders' }, [
        'retention.ms',
        'segment.ms',
      ]);
      expect(Object.fromEntries(configs.map((c) => [c.name, c.value]))).toEqual({
        'retention.ms': '172800000',
        'segment.ms': '600000',
      });
    } finally {
      await admin.close();
    }
  });

  it('refuses a bad duration, and an alter with nothing to change, saying what to give', async () => {
    expect(durationMs('7d')).toBe(7 * 86_400_000);
    expect(() => durationMs('two days')).toThrow(/48h, 30m, 7d/);
    const r = await run(
      process.execPath,
      ['--import', 'tsx', CLI, 'topic', 'alter', 'orders', '--brokers', broker.bootstrap],
      { allowFailure: true },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nothing to change: give --retention/);
  });
});
