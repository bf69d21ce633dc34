import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { ConfigError } from '../../src/client/errors.js';
import { Producer } from '../../src/client/producer.js';
import { VirtualClock } from '../../src/flow/clock.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { MetadataResponse } from '../../src/protocol/apis/03-metadata.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function broker(options: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  const b = await startTestBroker(options);
  cleanup.push(() => b.stop());
  return b;
}

/**
 * Makes `cluster`'s next `times` Metadata answers list only the first `known` partitions of `topic`, the
 * way a Kafka broker that has not caught up with CreatePartitions answers. Returns how many were trimmed.
 */
function lagMetadata(cluster: Cluster, topic: string, known: number, times: number): () => number {
  let trimmed = 0;
  const wrapped = new WeakSet<object>();
  const any = cluster.anyConnection.bind(cluster);
  cluster.anyConnection = async () => {
    const conn = await any();
    if (wrapped.has(conn)) return conn;
    wrapped.add(conn);
    const request = conn.request.bind(conn);
    conn.request = (async (apiKey: number, body: never, options?: object) => {
      const res = await request(apiKey as never, body, options);
      if (apiKey !== ApiKey.Metadata || trimmed >= times) return res;
      const m = res as MetadataResponse;
      const t = m.topics.find((x) => x.name === topic);
      if (!t) return res;
      trimmed++;
      return { ...m, topics: [{ ...t, partitions: t.partitions.filter((p) => p.partitionIndex < known) }] };
    }) as typeof conn.request;
    return conn;
  };
  return () => trimmed;
}

async function count(cluster: Cluster, topic: string): Promise<number> {
  const admin = new Admin({ cluster });
  return (await admin.listOffsets(topic, 'latest')).reduce((s, p) => s + Number(p.offset), 0);
}

describe('client resilience against the embedded broker', () => {
  it('honours throttle_time_ms: nothing more goes to a throttled broker until the throttle has passed', async () => {
    const b = await broker({ quotas: { recordsPerSecond: 1000, mode: 'throttle' } });
    const clock = new VirtualClock(Date.now());
    let produceFrames = 0;
    const cluster = new Cluster({
      brokers: [b.bootstrap],
      clock,
      tap: {
        request: (f) => void (f.readInt16BE(4) === ApiKey.Produce && produceFrames++),
        response: () => {},
      },
    });
    cleanup.push(() => cluster.close());
    await new Admin({ cluster }).createTopics([{ topic: 'throttled', numPartitions: 1 }]);
    const producer = new Producer({ cluster, lingerMs: 0, batchBytes: 1 << 20 });
    // 1500 records against a 1000 records/s quota: accepted, with half a second of debt to repay.
    await producer.send(
      Array.from({ length: 1500 }, (_, i) => ({ topic: 'throttled', partition: 0, value: `r${i}` })),
    );
    const throttledMs = producer.stats().throttledMs;
    expect(throttledMs).toBeGreaterThan(0);
    expect(produceFrames).toBe(1);
    const next = producer.send([{ topic: 'throttled', partition: 0, value: 'after' }]);
    await new Promise((r) => setTimeout(r, 50));
    expect(produceFrames).toBe(1); // held back on the client's clock
    await clock.advance(throttledMs);
    const [d] = await next;
    expect(d).toMatchObject({ status: 'delivered', offset: 1500n });
    expect(produceFrames).toBe(2);
  });

  it('retries records a quota rejects (Kinesis-style) until they are accepted, counting the retries', async () => {
    const b = await broker({ quotas: { recordsPerSecond: 200, mode: 'reject' } });
    const cluster = new Cluster({ brokers: [b.bootstrap] });
    cleanup.push(() => cluster.close());
    await new Admin({ cluster }).createTopics([{ topic: 'rejecting', numPartitions: 1 }]);
    const producer = new Producer({
      cluster,
      lingerMs: 0,
      batchBytes: 1 << 20,
      retry: { retries: 20, initialBackoffMs: 50, maxBackoffMs: 200 },
    });
    const retries: unknown[] = [];
    producer.on('retry', (e) => retries.push(e));
    const deliveries = [];
    for (let i = 0; i < 3; i++) {
      deliveries.push(
        ...(await producer.send(
          Array.from({ length: 150 }, (_, j) => ({ topic: 'rejecting', partition: 0, value: `${i}-${j}` })),
        )),
      );
    }
    expect(deliveries.every((d) => d.status === 'delivered')).toBe(true);
    expect(producer.stats().retries).toBeGreaterThan(0);
    expect(retries).toHaveLength(producer.stats().retries);
    expect(String((retries[0] as { err: Error }).err)).toMatch(
      /REQUEST_TIMED_OUT \(error 7\).*reject-mode quota/,
    );
    expect(await count(cluster, 'rejecting')).toBe(450);
  });

  it('retries InitProducerId while the broker answers COORDINATOR_LOAD_IN_PROGRESS (Kafka before its producer-id block arrives)', async () => {
    const b = await broker({ durability: 'memory' });
    const cluster = new Cluster({ brokers: [b.bootstrap], retry: { retries: 5, initialBackoffMs: 10 } });
    cleanup.push(() => cluster.close());
    await new Admin({ cluster }).createTopics([{ topic: 'pid', numPartitions: 1 }]);
    // The embedded broker always has ids to give: make the connection answer the way a Kafka broker
    // does while it waits for the controller, twice, then let the real answer through.
    const conn = await cluster.anyConnection();
    const request = conn.request.bind(conn);
    let asked = 0;
    conn.request = (async (apiKey: number, body: never, options?: object) => {
      if (apiKey === ApiKey.InitProducerId && ++asked <= 2) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
          producerId: -1n,
          producerEpoch: -1,
        };
      }
      return request(apiKey as never, body, options);
    }) as typeof conn.request;
    const producer = new Producer({ cluster, idempotent: true, lingerMs: 0 });
    const [d] = await producer.send([{ topic: 'pid', partition: 0, value: 'x' }]);
    await producer.close();
    expect(d).toMatchObject({ status: 'delivered', offset: 0n });
    expect(asked).toBe(3);
  });

  it('reconnects and retries through a broker restart without losing or duplicating a record', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-client-restart-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startTestBroker({ port, dataDir, durability: 'sync' });
    const cluster = new Cluster({
      brokers: [first.bootstrap],
      retry: { retries: 30, initialBackoffMs: 50, maxBackoffMs: 200 },
    });
    cleanup.push(() => cluster.close());
    await new Admin({ cluster }).createTopics([{ topic: 'restart', numPartitions: 2 }]);
    const producer = new Producer({
      cluster,
      lingerMs: 0,
      retry: { retries: 30, initialBackoffMs: 50, maxBackoffMs: 200 },
    });
    await producer.send(
      Array.from({ length: 10 }, (_, i) => ({ topic: 'restart', key: `k${i}`, value: `before-${i}` })),
    );
    await first.stop();
    // Sent while the broker is down: the records wait in the bounded buffer while the client retries.
    const during = producer.send(
      Array.from({ length: 10 }, (_, i) => ({ topic: 'restart', key: `k${i}`, value: `during-${i}` })),
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(producer.stats().retries).toBeGreaterThan(0);
    const second = await startTestBroker({ port, dataDir, durability: 'sync' });
    cleanup.push(() => second.stop());
    const results = await during;
    expect(results.every((d) => d.status === 'delivered')).toBe(true);
    const consumer = new ConsumerClient({ cluster });
    consumer.assign([
      { topic: 'restart', partition: 0, offset: 0n },
      { topic: 'restart', partition: 1, offset: 0n },
    ]);
    const values: string[] = [];
    for (let i = 0; i < 10 && values.length < 20; i++) {
      for (const p of await consumer.poll({ maxBytes: 1 << 20, maxWaitMs: 50 })) {
        for (const r of p.records) values.push(r.value!.toString());
      }
    }
    expect(values.sort()).toEqual(
      [
        ...Array.from({ length: 10 }, (_, i) => `before-${i}`),
        ...Array.from({ length: 10 }, (_, i) => `during-${i}`),
      ].sort(),
    );
  });

  it('waits for metadata that lists a partition added after it cached the topic, refreshing past lagging answers', async () => {
    const b = await broker({ durability: 'memory' });
    const admin = new Admin({ brokers: [b.bootstrap] });
    cleanup.push(() => admin.close());
    await admin.createTopics([{ topic: 'growing', numPartitions: 1 }]);
    const cluster = new Cluster({ brokers: [b.bootstrap], retry: { initialBackoffMs: 10 } });
    cleanup.push(() => cluster.close());
    const producer = new Producer({ cluster, lingerMs: 0, retry: { initialBackoffMs: 10 } });
    await producer.send([{ topic: 'growing', partition: 0, value: 'first' }]);
    expect(cluster.cachedTopic('growing')?.partitions).toHaveLength(1);
    await admin.createPartitions('growing', 3);
    // Kafka answers CreatePartitions before every broker knows the new partitions: the next two
    // Metadata answers still list one partition, as a broker that has not caught up would.
    const trimmed = lagMetadata(cluster, 'growing', 1, 2);
    const [d] = await producer.send([{ topic: 'growing', partition: 2, value: 'new' }]);
    await producer.close();
    expect(d).toMatchObject({ status: 'delivered', partition: 2, offset: 0n });
    expect(trimmed()).toBe(2);
    expect(cluster.cachedTopic('growing')?.partitions).toHaveLength(3);
  });

  it('gives up on a partition the metadata never lists after maxBlockMs, naming topic, partition and count', async () => {
    const b = await broker({ durability: 'memory' });
    let metadataRequests = 0;
    const cluster = new Cluster({
      brokers: [b.bootstrap],
      tap: {
        request: (f) => void (f.readInt16BE(4) === ApiKey.Metadata && metadataRequests++),
        response: () => {},
      },
    });
    cleanup.push(() => cluster.close());
    await new Admin({ cluster }).createTopics([{ topic: 'two', numPartitions: 2 }]);
    const producer = new Producer({ cluster, lingerMs: 0, maxBlockMs: 200, retry: { initialBackoffMs: 20 } });
    cleanup.push(() => producer.close());
    await producer.send([{ topic: 'two', partition: 1, value: 'known' }]);
    const before = metadataRequests;
    await expect(producer.produce({ topic: 'two', partition: 5, value: 'x' })).rejects.toThrow(
      /partition 5 of topic "two" is not in the metadata after 200 ms \(it lists 2 partitions\)/,
    );
    // It kept asking (backoff 20 ms doubling) rather than refusing on the cached count.
    expect(metadataRequests - before).toBeGreaterThan(2);
    // A partition that cannot exist is refused at once, without waiting.
    await expect(producer.produce({ topic: 'two', partition: -1, value: 'x' })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});
