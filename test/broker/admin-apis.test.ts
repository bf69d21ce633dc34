import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/errors.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { WireClient } from '../helpers/wire-client.js';

// Wire tests for the admin APIs Kafka's command-line tools need (DeleteRecords, DescribeCluster, …),
// each at the newest version we serve, spoken with our codec.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(options: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  const b = await startTestBroker({ durability: 'memory', ...options });
  cleanups.push(() => b.stop());
  return b;
}
async function client(b: TestBroker): Promise<WireClient> {
  const c = await WireClient.open(b.port);
  cleanups.push(() => c.close());
  return c;
}

async function produce(c: WireClient, topic: string, values: string[], partition = 0): Promise<bigint> {
  const records = await buildRecordBatch({
    records: values.map((v, i) => ({ key: `k${i}`, value: v, timestamp: 1_700_000_000_000 + i })),
  });
  const res = await c.request(0, 7, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  const p = res.responses[0].partitionResponses[0];
  expect(p.errorCode).toBe(0);
  return p.baseOffset;
}

async function earliest(c: WireClient, topic: string): Promise<bigint> {
  const res = await c.request(2, 5, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }] }],
  });
  return res.topics[0].partitions[0].offset as bigint;
}

const deleteRecords = (c: WireClient, topic: string, offsets: Array<[number, bigint]>) =>
  c.request(21, 2, {
    topics: [
      { name: topic, partitions: offsets.map(([partitionIndex, offset]) => ({ partitionIndex, offset })) },
    ],
    timeoutMs: 5000,
  });

async function fetchAt(c: WireClient, topic: string, offset: bigint) {
  const res = await c.request(1, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  });
  return res.responses[0].partitions[0];
}

describe('DeleteRecords (21)', () => {
  it('moves the log start: ListOffsets earliest and Fetch honour it, and it survives a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-delete-records-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await broker({ dataDir, durability: 'sync' });
    const c = await client(first);
    await produce(c, 'dr', ['a', 'b', 'c']);
    await produce(c, 'dr', ['d', 'e']);
    const res = await deleteRecords(c, 'dr', [[0, 3n]]);
    expect(res.topics[0].partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 3n, errorCode: 0 });
    expect(await earliest(c, 'dr')).toBe(3n);
    expect((await fetchAt(c, 'dr', 0n)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(await fetchAt(c, 'dr', 3n)).toMatchObject({ errorCode: 0, logStartOffset: 3n, highWatermark: 5n });
    c.close();
    await first.stop();

    const second = await broker({ dataDir, durability: 'sync' });
    const c2 = await client(second);
    expect(await earliest(c2, 'dr')).toBe(3n);
  });

  it('-1 means the high watermark; past it is OFFSET_OUT_OF_RANGE; unknown and internal topics are refused', async () => {
    const b = await broker();
    const c = await client(b);
    await produce(c, 'hw', ['a', 'b']);
    expect((await deleteRecords(c, 'hw', [[0, -1n]])).topics[0].partitions[0]).toMatchObject({
      lowWatermark: 2n,
      errorCode: 0,
    });
    expect((await deleteRecords(c, 'hw', [[0, 9n]])).topics[0].partitions[0].errorCode).toBe(
      ErrorCode.OFFSET_OUT_OF_RANGE,
    );
    expect((await deleteRecords(c, 'hw', [[4, 0n]])).topics[0].partitions[0].errorCode).toBe(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
    expect((await deleteRecords(c, '__consumer_offsets', [[0, 0n]])).topics[0].partitions[0].errorCode).toBe(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
    );
  });
});

describe('DescribeCluster (60)', () => {
  it('lists this broker as the only broker and the controller, under the Metadata cluster id', async () => {
    const b = await broker();
    const c = await client(b);
    const res = await c.request(60, 2, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    const meta = await c.request(3, 9, { topics: [], allowAutoTopicCreation: false });
    expect(res).toMatchObject({ errorCode: 0, clusterId: meta.clusterId, controllerId: 0, endpointType: 1 });
    expect(res.brokers).toEqual([
      { brokerId: 0, host: '127.0.0.1', port: b.port, rack: null, isFenced: false },
    ]);
    const controllers = await c.request(60, 2, {
      includeClusterAuthorizedOperations: false,
      endpointType: 2,
    });
    expect(controllers.errorCode).toBe(ErrorCode.MISMATCHED_ENDPOINT_TYPE);
  });
});
