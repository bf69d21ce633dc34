import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '../../src/client/producer.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ durability: 'memory' });
});
afterAll(async () => {
  await broker.stop();
});

describe('a tight `await produce()` loop with a drop policy', () => {
  it('lets the sender run, so drops come from a full pipe, not from a caller that never yields', async () => {
    // Before the producer yielded by itself, ~99% of such a loop was dropped: produce() answered at once,
    // the loop only ever yielded to microtasks, and no batch left the buffer until the loop ended.
    const records = 20_000;
    const producer = new Producer({
      brokers: [broker.bootstrap],
      bufferBytes: 64 * 1024,
      policy: 'drop-oldest',
    });
    const value = Buffer.alloc(100, 'x');
    for (let i = 0; i < records; i++) await producer.produce({ topic: 'tight', value });
    await producer.flush();
    const s = producer.stats();
    expect(s.delivered + s.dropped).toBe(records);
    expect(s.dropped).toBeLessThan(records / 2);
    await producer.close();
  });
});
