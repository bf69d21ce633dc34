import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import type { Producer } from '../../src/client/producer.js';
import type { ConsumerRuntime } from '../../src/consumer/runtime.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

// One way to do each thing: events are typed maps (a misspelt name does not compile; `npm run typecheck`
// checks the @ts-expect-error lines below) and every close is awaitable.

/** Never called: its body is checked by the compiler. */
function eventNamesAreChecked(runtime: ConsumerRuntime, producer: Producer): void {
  // @ts-expect-error 'comit' is not one of the runtime's events
  runtime.on('comit', () => {});
  runtime.on('commit', (e) => e.offsets.map((o) => o.offset));
  // @ts-expect-error the payload of 'commit' has no 'records'
  runtime.on('commit', (e) => e.records);
  // @ts-expect-error 'dropped' is not one of the producer's events ('drop' is)
  producer.on('dropped', () => {});
  producer.on('drop', (e) => e.reason === 'oldest');
}

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ durability: 'memory' });
});
afterAll(async () => {
  await broker.stop();
});

describe('typed events', () => {
  it('are checked by the compiler (see eventNamesAreChecked)', () => {
    expect(eventNamesAreChecked).toBeTypeOf('function');
  });
});

describe('closing clients', () => {
  it('Admin.close() and ConsumerClient.close() resolve once their connections are closed', async () => {
    const brokers = [broker.bootstrap];
    const admin = new Admin({ brokers });
    await admin.createTopics([{ topic: 'shapes', numPartitions: 1 }]);
    const consumer = new ConsumerClient({ brokers, groupId: 'shapes' });
    consumer.assign([{ topic: 'shapes', partition: 0, offset: 0n }]);
    await consumer.poll({ maxBytes: 1024, maxWaitMs: 10 });
    expect(admin.cluster.stats().length).toBeGreaterThan(0);
    const closing = [admin.close(), consumer.close()];
    expect(closing.every((c) => c instanceof Promise)).toBe(true);
    await Promise.all(closing);
    expect(admin.cluster.stats()).toEqual([]);
    // The broker sees both peers go (their sockets were closed, not merely abandoned).
    const open = async () => (await broker.broker.metrics.connections.get()).values[0]?.value ?? 0;
    for (let i = 0; i < 100 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await open()).toBe(0);
  });
});
