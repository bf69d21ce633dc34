import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSubscription } from '../../src/protocol/consumer-protocol.js';
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

/** One member joins `group` (classic "consumer" protocol, subscribed to `topics`) and syncs: Stable. */
async function stableMember(c: WireClient, group: string, topics: string[]) {
  const join = (memberId: string) =>
    c.request(11, 5, {
      groupId: group,
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: encodeSubscription({ topics }) }],
    });
  const first = await join('');
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  const joined = await join(first.memberId);
  expect(joined.errorCode).toBe(0);
  const sync = await c.request(14, 3, {
    groupId: group,
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: null,
    assignments: [{ memberId: joined.memberId, assignment: Buffer.alloc(0) }],
  });
  expect(sync.errorCode).toBe(0);
  return joined;
}

async function commit(c: WireClient, group: string, topic: string, offset: bigint) {
  const res = await c.request(8, 7, {
    groupId: group,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [
      { name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: null }] },
    ],
  });
  expect(res.topics[0].partitions[0].errorCode).toBe(0);
}

async function committed(c: WireClient, group: string, topic: string): Promise<bigint> {
  const res = await c.request(9, 7, {
    groupId: group,
    topics: [{ name: topic, partitionIndexes: [0] }],
    requireStable: false,
  });
  return res.topics?.[0].partitions[0].committedOffset as bigint;
}

const offsetDelete = (c: WireClient, group: string, topics: string[]) =>
  c.request(47, 0, {
    groupId: group,
    topics: topics.map((name) => ({ name, partitions: [{ partitionIndex: 0 }] })),
  });

describe('OffsetDelete (47)', () => {
  it('deletes offsets of topics nobody subscribes to, refuses subscribed ones while the group is active', async () => {
    const b = await broker();
    const c = await client(b);
    for (const t of ['od-a', 'od-b']) await produce(c, t, ['x', 'y']);
    await commit(c, 'od', 'od-a', 1n);
    await commit(c, 'od', 'od-b', 2n);
    await stableMember(c, 'od', ['od-a']);
    const res = await offsetDelete(c, 'od', ['od-a', 'od-b']);
    expect(res.errorCode).toBe(0);
    expect(res.topics).toEqual([
      { name: 'od-a', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
      { name: 'od-b', partitions: [{ partitionIndex: 0, errorCode: 0 }] },
    ]);
    expect(await committed(c, 'od', 'od-a')).toBe(1n);
    expect(await committed(c, 'od', 'od-b')).toBe(-1n);
  });

  it('deletes from an empty group, and survives a restart; an unknown group is GROUP_ID_NOT_FOUND', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-offset-delete-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await broker({ dataDir, durability: 'sync' });
    const c = await client(first);
    await produce(c, 'oe', ['x']);
    await commit(c, 'oe-g', 'oe', 1n);
    expect((await offsetDelete(c, 'oe-g', ['oe'])).topics[0].partitions[0].errorCode).toBe(0);
    expect((await offsetDelete(c, 'no-such-group', ['oe'])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    c.close();
    await first.stop();
    const second = await broker({ dataDir, durability: 'sync' });
    expect(await committed(await client(second), 'oe-g', 'oe')).toBe(-1n);
  });
});

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
type Op = [name: string, op: number, value: string | null];

const alter = (c: WireClient, resourceType: number, resourceName: string, ops: Op[], validateOnly = false) =>
  c
    .request(44, 1, {
      resources: [
        {
          resourceType,
          resourceName,
          configs: ops.map(([name, configOperation, value]) => ({ name, configOperation, value })),
        },
      ],
      validateOnly,
    })
    .then((r) => r.responses[0]);

async function topicConfig(c: WireClient, topic: string, name: string) {
  const res = await c.request(32, 4, {
    resources: [{ resourceType: 2, resourceName: topic, configurationKeys: [name] }],
    includeSynonyms: true,
    includeDocumentation: false,
  });
  return res.results[0].configs[0];
}

describe('IncrementalAlterConfigs (44)', () => {
  it('sets, deletes, appends to and subtracts from topic configs, touching only those named', async () => {
    const b = await broker();
    const c = await client(b);
    await produce(c, 'iac', ['x']);
    expect(
      await alter(c, 2, 'iac', [
        ['retention.ms', SET, '5000'],
        ['segment.bytes', SET, '1048576'],
      ]),
    ).toMatchObject({ errorCode: 0 });
    expect(await alter(c, 2, 'iac', [['segment.bytes', DELETE, null]])).toMatchObject({ errorCode: 0 });
    expect(await topicConfig(c, 'iac', 'retention.ms')).toMatchObject({ value: '5000', configSource: 1 });
    expect(await topicConfig(c, 'iac', 'segment.bytes')).toMatchObject({
      value: '1073741824',
      configSource: 5,
    });
    await alter(c, 2, 'iac', [['cleanup.policy', APPEND, 'compact']]);
    expect((await topicConfig(c, 'iac', 'cleanup.policy')).value).toBe('delete,compact');
    await alter(c, 2, 'iac', [['cleanup.policy', SUBTRACT, 'delete']]);
    expect((await topicConfig(c, 'iac', 'cleanup.policy')).value).toBe('compact');
    expect(await alter(c, 2, 'iac', [['retention.ms', SET, 'soon']])).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
    });
    expect(await alter(c, 2, 'iac', [['retention.ms', SET, '1']], true)).toMatchObject({ errorCode: 0 });
    expect((await topicConfig(c, 'iac', 'retention.ms')).value).toBe('5000');
    expect(await alter(c, 2, 'nope', [['retention.ms', SET, '1']])).toMatchObject({
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    });
  });

  it('dynamic broker configs default every topic without its own value, by broker then cluster default, across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-broker-configs-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await broker({ dataDir, durability: 'sync' });
    const c = await client(first);
    await produce(c, 'follows', ['x']);
    expect(await alter(c, 4, '', [['log.retention.ms', SET, '3600000']])).toMatchObject({ errorCode: 0 });
    expect(await topicConfig(c, 'follows', 'retention.ms')).toMatchObject({
      value: '3600000',
      configSource: 3,
    });
    expect(await alter(c, 4, '0', [['log.retention.ms', SET, '7200000']])).toMatchObject({ errorCode: 0 });
    expect(await topicConfig(c, 'follows', 'retention.ms')).toMatchObject({
      value: '7200000',
      configSource: 2,
    });
    expect(await alter(c, 4, '', [['log.cleaner.threads', SET, '2']])).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
    });
    expect(await alter(c, 4, '7', [['log.retention.ms', SET, '1']])).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
    });
    const defaults = await c.request(32, 4, {
      resources: [{ resourceType: 4, resourceName: '', configurationKeys: null }],
      includeSynonyms: true,
      includeDocumentation: false,
    });
    expect(defaults.results[0].configs).toEqual([
      expect.objectContaining({
        name: 'log.retention.ms',
        value: '3600000',
        configSource: 3,
        synonyms: [{ name: 'log.retention.ms', value: '3600000', source: 3 }],
      }),
    ]);
    c.close();
    await first.stop();

    const second = await broker({ dataDir, durability: 'sync' });
    const c2 = await client(second);
    expect(await topicConfig(c2, 'follows', 'retention.ms')).toMatchObject({
      value: '7200000',
      configSource: 2,
    });
    await alter(c2, 4, '0', [['log.retention.ms', DELETE, null]]);
    expect(await topicConfig(c2, 'follows', 'retention.ms')).toMatchObject({
      value: '3600000',
      configSource: 3,
    });
  });
});

describe('DescribeLogDirs (35)', () => {
  it('reports the data dir, each partition’s stored bytes and the disk’s total and usable bytes', async () => {
    const b = await broker({ durability: 'sync' });
    const c = await client(b);
    const records = await buildRecordBatch({ records: [{ key: 'k', value: 'v'.repeat(100), timestamp: 1 }] });
    for (let i = 0; i < 3; i++) {
      await c.request(0, 7, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'ld', partitionData: [{ index: 0, records }] }],
      });
    }
    const res = await c.request(35, 4, { topics: [{ topic: 'ld', partitions: [0, 5] }] });
    expect(res.errorCode).toBe(0);
    const [dir] = res.results;
    expect(dir).toMatchObject({ errorCode: 0, logDir: b.dataDir });
    expect(dir.topics).toEqual([
      {
        name: 'ld',
        partitions: [
          { partitionIndex: 0, partitionSize: BigInt(3 * records.length), offsetLag: 0n, isFutureKey: false },
        ],
      },
    ]);
    expect(dir.totalBytes).toBeGreaterThan(0n);
    expect(dir.usableBytes).toBeGreaterThan(0n);
    expect(dir.usableBytes).toBeLessThanOrEqual(dir.totalBytes as bigint);
    const all = await c.request(35, 1, { topics: null });
    expect(all.results[0].topics.map((t) => t.name)).toContain('ld');
  });
});

describe('ListOffsets v7 max timestamp (-3)', () => {
  it('answers the first record with the largest timestamp, and -1 for an empty partition', async () => {
    const b = await broker();
    const c = await client(b);
    const batch = (timestamps: number[]) =>
      buildRecordBatch({ records: timestamps.map((timestamp) => ({ key: null, value: 'v', timestamp })) });
    for (const ts of [[1000, 5000], [3000, 5000], [2000]]) {
      await c.request(0, 7, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'mt', partitionData: [{ index: 0, records: await batch(ts) }] }],
      });
    }
    await c.request(19, 7, {
      topics: [{ name: 'mt-empty', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    const ask = async (topic: string) =>
      (
        await c.request(2, 7, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [
            { name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -3n }] },
          ],
        })
      ).topics[0].partitions[0];
    expect(await ask('mt')).toMatchObject({ errorCode: 0, offset: 1n, timestamp: 5000n });
    expect(await ask('mt-empty')).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n });
  });
});

describe('Produce v8+ record errors', () => {
  it('refuses a batch with a keyless record on a compacted topic, naming that record; keyed batches append', async () => {
    const b = await broker();
    const c = await client(b);
    await c.request(19, 7, {
      topics: [
        {
          name: 'cmp',
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    const send = async (keys: Array<string | null>) => {
      const records = await buildRecordBatch({
        records: keys.map((key, i) => ({ key, value: `v${i}`, timestamp: Date.now() })),
      });
      const res = await c.request(0, 11, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'cmp', partitionData: [{ index: 0, records }] }],
      });
      return res.responses[0].partitionResponses[0];
    };
    const message = 'Compacted topic cannot accept message without key in topic partition cmp-0';
    expect(await send(['a', null, 'b'])).toMatchObject({
      errorCode: ErrorCode.INVALID_RECORD,
      errorMessage: message,
      recordErrors: [{ batchIndex: 1, batchIndexErrorMessage: message }],
    });
    expect(await send(['a', 'b'])).toMatchObject({ errorCode: 0, baseOffset: 0n, recordErrors: [] });
    expect(b.broker.store.partition('cmp', 0)?.highWatermark).toBe(2n);
  });
});
