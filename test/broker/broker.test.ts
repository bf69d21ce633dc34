import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/flow/clock.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { WireClient } from '../helpers/wire-client.js';

const brokers: TestBroker[] = [];
const clients: WireClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const b of brokers.splice(0)) await b.stop();
});

async function broker(options: Parameters<typeof startTestBroker>[0] = {}) {
  const b = await startTestBroker({ durability: 'memory', ...options });
  brokers.push(b);
  return b;
}
async function client(b: TestBroker) {
  const c = await WireClient.open(b.port);
  clients.push(c);
  return c;
}

const batch = (values: string[], timestamp = 1_700_000_000_000) =>
  buildRecordBatch({ records: values.map((v, i) => ({ key: `k${i}`, value: v, timestamp: timestamp + i })) });

const produceBody = (topic: string, partition: number, records: Buffer | null, acks = -1) => ({
  transactionalId: null,
  acks,
  timeoutMs: 5000,
  topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
});

const fetchBody = (
  topic: string,
  partitions: Array<{ partition: number; offset: bigint; max?: number }>,
  opts: { maxWaitMs?: number; minBytes?: number; maxBytes?: number } = {},
) => ({
  replicaId: -1,
  maxWaitMs: opts.maxWaitMs ?? 0,
  minBytes: opts.minBytes ?? 1,
  maxBytes: opts.maxBytes ?? 1 << 20,
  isolationLevel: 1,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [
    {
      topic,
      partitions: partitions.map((p) => ({
        partition: p.partition,
        currentLeaderEpoch: -1,
        fetchOffset: p.offset,
        logStartOffset: -1n,
        partitionMaxBytes: p.max ?? 1 << 20,
      })),
    },
  ],
  forgottenTopicsData: [],
  rackId: '',
});

describe('ApiVersions and connection handling', () => {
  it('advertises the handler table, and answers an unsupported ApiVersions version in the v0 layout with error 35', async () => {
    const b = await broker();
    const c = await client(b);
    const v3 = await c.request(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(v3.errorCode).toBe(0);
    const table = Object.fromEntries(v3.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(table[0]).toEqual([0, 11]);
    expect(table[1]).toEqual([4, 12]);
    expect(table[2]).toEqual([0, 7]);
    expect(table[3]).toEqual([0, 9]);
    expect(table[18]).toEqual([0, 3]);
    const { bytes, correlationId } = c.frame(18, 4, {
      clientSoftwareName: 'future',
      clientSoftwareVersion: '9',
    });
    await c.send(bytes);
    const fallback = await c.next(18, 0);
    expect(fallback.correlationId).toBe(correlationId);
    expect(fallback.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(fallback.body.apiKeys).toEqual(v3.apiKeys);
    // The connection stays usable for the retry.
    expect((await c.request(18, 0, {})).errorCode).toBe(0);
  });

  it('answers kafka-python’s pipelined ApiVersions v0 + Metadata v0 in order', async () => {
    const b = await broker();
    const c = await client(b);
    const a = c.frame(18, 0, {});
    const m = c.frame(3, 0, { topics: [] });
    await c.send(Buffer.concat([a.bytes, m.bytes]));
    const first = await c.next(18, 0);
    const second = await c.next(3, 0);
    expect([first.correlationId, second.correlationId]).toEqual([a.correlationId, m.correlationId]);
    expect(second.body.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: b.port, rack: null }]);
  });

  it('closes a connection that sends an unknown API key, an unsupported version or a malformed body; others keep working', async () => {
    const b = await broker();
    const good = await client(b);
    const unknownKey = Buffer.from([0, 0, 0, 10, 0, 99, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);
    const metadataV10 = (await client(b)).frame(3, 10, {
      topics: null,
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    const produce = (await client(b)).frame(0, 7, produceBody('t', 0, await batch(['x']))).bytes;
    const truncated = Buffer.from(produce.subarray(0, produce.length - 20));
    truncated.writeInt32BE(truncated.length - 4, 0);
    for (const bytes of [unknownKey, metadataV10.bytes, truncated]) {
      const bad = await RawClient.open(b.port);
      await bad.write(bytes);
      await bad.closed;
      expect(bad.frames).toHaveLength(0);
    }
    expect(
      (await good.request(18, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' })).errorCode,
    ).toBe(0);
    const closed = await b.broker.metrics.connectionsClosed.get();
    expect(closed.values.find((v) => v.labels.reason === 'protocol')?.value).toBe(3);
  });
});

describe('Metadata', () => {
  it('v0 [] and v1+ null list all topics; v1+ [] lists none; controller and leaders are node 0', async () => {
    const b = await broker({ autoCreateTopics: false });
    await b.broker.store.createTopic('a', 2, {});
    await b.broker.store.createTopic('b', 1, {});
    const c = await client(b);
    // Internal topics (the group coordinator's __consumer_offsets) are listed too; leave them aside.
    const mine = <T extends { name: string | null }>(topics: T[]) =>
      topics.filter((t) => !b.broker.isInternalTopic(t.name ?? ''));
    const v0 = await c.request(3, 0, { topics: [] });
    expect(mine(v0.topics).map((t) => t.name)).toEqual(['a', 'b']);
    const v1all = await c.request(3, 1, { topics: null });
    expect(mine(v1all.topics).map((t) => [t.name, t.partitions.length])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(v1all.controllerId).toBe(0);
    expect(
      mine(v1all.topics)[0].partitions.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes, p.isrNodes]),
    ).toEqual([
      [0, 0, [0], [0]],
      [1, 0, [0], [0]],
    ]);
    expect((await c.request(3, 1, { topics: [] })).topics).toEqual([]);
  });

  it('auto-creates requested topics with the default partition count, honouring allow_auto_topic_creation from v4', async () => {
    const b = await broker({ defaultPartitions: 3 });
    const c = await client(b);
    const noCreate = await c.request(3, 8, {
      topics: [{ name: 'lazy' }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(noCreate.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const created = await c.request(3, 8, {
      topics: [{ name: 'lazy' }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(created.topics[0]).toMatchObject({ name: 'lazy', errorCode: 0, isInternal: false });
    expect(created.topics[0].partitions).toHaveLength(3);
    const invalid = await c.request(3, 1, { topics: [{ name: 'bad name!' }] });
    expect(invalid.topics[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('flags topics registered as internal', async () => {
    const b = await broker();
    await b.broker.store.createTopic('__sluice_test_internal', 1, {});
    b.broker.registerInternalTopic('__sluice_test_internal');
    const c = await client(b);
    const res = await c.request(3, 1, { topics: null });
    expect(res.topics.find((t) => t.name === '__sluice_test_internal')?.isInternal).toBe(true);
    const del = await c.request(20, 3, { topicNames: ['__sluice_test_internal'], timeoutMs: 1000 });
    expect(del.responses[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('refuses client writes and admin changes to __consumer_offsets, while the coordinator still commits', async () => {
    const b = await broker();
    const c = await client(b);
    const offsets = '__consumer_offsets';
    const before = b.broker.store.partition(offsets, 0)?.highWatermark;
    const produced = await c.request(0, 7, produceBody(offsets, 0, await batch(['forged'])));
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(b.broker.store.partition(offsets, 0)?.highWatermark).toBe(before);

    const created = await c.request(19, 7, {
      topics: [{ name: offsets, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(created.topics[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const grown = await c.request(37, 1, {
      topics: [{ name: offsets, count: 5, assignments: null }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(grown.results[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(b.broker.store.partitionCount(offsets)).toBe(1);
    const deleted = await c.request(20, 6, {
      topics: [{ name: offsets, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }],
      timeoutMs: 1000,
    });
    expect(deleted.responses[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);

    // The coordinator appends through storage, not the Produce handler: a simple commit still lands.
    await c.request(0, 7, produceBody('p', 0, await batch(['a'])));
    const commit = await c.request(8, 2, {
      groupId: 'internal-check',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: -1n,
      topics: [
        { name: 'p', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedMetadata: null }] },
      ],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(0);
    expect(b.broker.store.partition(offsets, 0)?.highWatermark).toBeGreaterThan(before ?? 0n);
  });
});

describe('Produce', () => {
  it('appends and returns base offsets; acks=0 gets no response at all', async () => {
    const b = await broker();
    const c = await client(b);
    const r1 = await c.request(0, 7, produceBody('p', 0, await batch(['a', 'b'])));
    expect(r1.responses[0].partitionResponses[0]).toMatchObject({
      index: 0,
      errorCode: 0,
      baseOffset: 0n,
      logStartOffset: 0n,
    });
    const silent = c.frame(0, 7, produceBody('p', 0, await batch(['c']), 0));
    const ping = c.frame(18, 0, {});
    await c.send(Buffer.concat([silent.bytes, ping.bytes]));
    expect((await c.next(18, 0)).correlationId).toBe(ping.correlationId);
    expect(b.broker.store.partition('p', 0)!.highWatermark).toBe(3n);
  });

  it('reports per-partition errors: unknown partition, corrupt batch, too large, bad acks', async () => {
    const b = await broker({ messageMaxBytes: 1024 });
    await b.broker.store.createTopic('e', 1, {});
    const c = await client(b);
    const ok = await batch(['fine']);
    const corrupt = Buffer.from(ok);
    corrupt[corrupt.length - 1] ^= 0xff; // breaks the CRC-32C
    const big = await batch(['x'.repeat(2000)]);
    const res = await c.request(0, 7, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [
        {
          name: 'e',
          partitionData: [
            { index: 0, records: corrupt },
            { index: 5, records: ok },
          ],
        },
      ],
    });
    expect(res.responses[0].partitionResponses.map((p) => p.errorCode)).toEqual([
      ErrorCode.CORRUPT_MESSAGE,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    const tooBig = await c.request(0, 7, produceBody('e', 0, big));
    expect(tooBig.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const badAcks = await c.request(0, 7, produceBody('e', 0, ok, 2));
    expect(badAcks.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    const badAcksNewTopic = await c.request(0, 7, produceBody('never-created', 0, ok, 5));
    expect(badAcksNewTopic.responses[0].partitionResponses[0].errorCode).toBe(
      ErrorCode.INVALID_REQUIRED_ACKS,
    );
    expect(b.broker.store.partitionCount('never-created')).toBeUndefined();
    expect(b.broker.store.partition('e', 0)!.highWatermark).toBe(0n);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for unknown topics when auto-creation is off', async () => {
    const b = await broker({ autoCreateTopics: false });
    const c = await client(b);
    const res = await c.request(0, 3, produceBody('ghost', 0, await batch(['x'])));
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(b.broker.store.partitionCount('ghost')).toBeUndefined();
  });
});

describe('idempotent producers', () => {
  const idem = (values: string[], producerId: bigint, producerEpoch: number, baseSequence: number) =>
    buildRecordBatch({
      records: values.map((v) => ({ value: v, timestamp: 1 })),
      producerId,
      producerEpoch,
      baseSequence,
    });

  it('hands out producer ids, answers a retried batch with its original offset, and refuses gaps and stale epochs', async () => {
    const b = await broker();
    const c = await client(b);
    const init = await c.request(22, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
    expect(init.errorCode).toBe(0);
    const other = await c.request(22, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
    expect(other.producerId).not.toBe(init.producerId);
    const pid = init.producerId;
    const send = async (records: Buffer) =>
      (await c.request(0, 7, produceBody('idem', 0, records))).responses[0].partitionResponses[0];
    expect(await send(await idem(['a', 'b'], pid, 0, 0))).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await send(await idem(['c'], pid, 0, 2))).toMatchObject({ errorCode: 0, baseOffset: 2n });
    // The same batch again (a retry after a lost response): same offset, nothing written.
    expect(await send(await idem(['a', 'b'], pid, 0, 0))).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await send(await idem(['c'], pid, 0, 2))).toMatchObject({ errorCode: 0, baseOffset: 2n });
    expect(b.broker.store.partition('idem', 0)!.highWatermark).toBe(3n);
    expect((await send(await idem(['gap'], pid, 0, 7))).errorCode).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    expect(await send(await idem(['new epoch'], pid, 1, 0))).toMatchObject({ errorCode: 0, baseOffset: 3n });
    expect((await send(await idem(['stale'], pid, 0, 3))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(b.broker.store.partition('idem', 0)!.highWatermark).toBe(4n);
    // A transactional id goes to the transaction coordinator: an id and epoch of its own.
    const txn = await c.request(22, 1, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000 });
    expect(txn).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(txn.producerId).not.toBe(pid);
  });

  it('gives a rejected batch’s sequence back, so the producer’s retry is accepted', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const b = await broker({ clock, quotas: { mode: 'reject', recordsPerSecond: 2 } });
    const c = await client(b);
    const pid = (await c.request(22, 0, { transactionalId: null, transactionTimeoutMs: 1000 })).producerId;
    const send = async (records: Buffer) =>
      (await c.request(0, 7, produceBody('idq', 0, records))).responses[0].partitionResponses[0];
    expect((await send(await idem(['a', 'b'], pid, 0, 0))).errorCode).toBe(0);
    expect((await send(await idem(['c'], pid, 0, 2))).errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    await clock.advance(1000);
    expect(await send(await idem(['c'], pid, 0, 2))).toMatchObject({ errorCode: 0, baseOffset: 2n });
  });
});

describe('produce quotas through the broker', () => {
  it('reject mode (Kinesis): over-quota writes fail with a retriable REQUEST_TIMED_OUT saying why and when to retry, are not stored, and are counted', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const b = await broker({ clock, quotas: { mode: 'reject', recordsPerSecond: 10 } });
    const c = await client(b);
    const ten = await batch(Array.from({ length: 10 }, (_, i) => `v${i}`));
    expect(
      (await c.request(0, 7, produceBody('q', 0, ten))).responses[0].partitionResponses[0].errorCode,
    ).toBe(0);
    const over = await c.request(0, 8, produceBody('q', 0, await batch(['one more'])));
    // Kafka's produce quotas never refuse (THROTTLING_QUOTA_EXCEEDED is for CreateTopics and friends): the
    // refusal is a code every client retries, with the reason and the wait in the message.
    expect(over.responses[0].partitionResponses[0]).toMatchObject({
      errorCode: ErrorCode.REQUEST_TIMED_OUT,
      errorMessage: 'partition write quota exceeded (reject mode): nothing written, retry in 100 ms',
    });
    expect(over.throttleTimeMs).toBe(0);
    expect(b.broker.store.partition('q', 0)!.highWatermark).toBe(10n);
    await clock.advance(1000);
    expect(
      (await c.request(0, 7, produceBody('q', 0, await batch(['later'])))).responses[0].partitionResponses[0]
        .errorCode,
    ).toBe(0);
    expect((await b.broker.metrics.produceRejected.get()).values[0]).toMatchObject({
      labels: { topic: 'q' },
      value: 1,
    });
  });

  it('reject mode refuses a batch over the burst as RECORD_LIST_TOO_LARGE instead of storing it whole', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const b = await broker({ clock, quotas: { mode: 'reject', recordsPerSecond: 10 } });
    const c = await client(b);
    const fifty = await batch(Array.from({ length: 50 }, (_, i) => `v${i}`));
    const res = await c.request(0, 8, produceBody('burst', 0, fifty));
    expect(res.responses[0].partitionResponses[0]).toMatchObject({
      errorCode: ErrorCode.RECORD_LIST_TOO_LARGE,
      errorMessage:
        'partition write quota: a batch of 50 records is over the 10 records/s the partition takes at once; send smaller batches',
    });
    expect(b.broker.store.partition('burst', 0)?.highWatermark ?? 0n).toBe(0n);
    // The full bucket was not charged for it.
    const ten = await batch(Array.from({ length: 10 }, (_, i) => `w${i}`));
    expect(
      (await c.request(0, 7, produceBody('burst', 0, ten))).responses[0].partitionResponses[0].errorCode,
    ).toBe(0);
  });

  it('throttle mode (Kafka): accepts, reports throttle_time_ms, and mutes the connection for that long (v6+)', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const b = await broker({ clock, quotas: { mode: 'throttle', recordsPerSecond: 10 } });
    const c = await client(b);
    const twenty = await batch(Array.from({ length: 20 }, (_, i) => `v${i}`));
    const res = await c.request(0, 7, produceBody('t', 0, twenty));
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(0);
    expect(res.throttleTimeMs).toBe(1000); // 10 records over a 10/s quota
    expect(b.broker.store.partition('t', 0)!.highWatermark).toBe(20n);
    // Muted: the next request is not even read until the throttle time has passed.
    const ping = c.frame(18, 0, {});
    await c.send(ping.bytes);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.unread).toBe(0);
    await clock.advance(1000);
    expect((await c.next(18, 0)).correlationId).toBe(ping.correlationId);
    expect((await b.broker.metrics.produceThrottleMs.get()).values[0].value).toBe(1000);
  });

  it('throttle mode delays the response itself for Produce versions before v6', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const b = await broker({ clock, quotas: { mode: 'throttle', recordsPerSecond: 10 } });
    const c = await client(b);
    const { bytes } = c.frame(
      0,
      5,
      produceBody('t', 0, await batch(Array.from({ length: 15 }, (_, i) => `v${i}`))),
    );
    await c.send(bytes);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.unread).toBe(0);
    await clock.advance(500);
    const res = await c.next(0, 5);
    expect(res.body.throttleTimeMs).toBe(500);
  });
});

describe('Fetch', () => {
  it('long-polls: waits for max_wait_ms on an empty partition, and wakes as soon as a produce lands', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const b = await broker({ clock });
    await b.broker.store.createTopic('lp', 2, {});
    const fetcher = await client(b);
    const producer = await client(b);

    // Times out: nothing arrives, the clock passes max_wait_ms.
    const f1 = fetcher.frame(
      1,
      11,
      fetchBody(
        'lp',
        [
          { partition: 0, offset: 0n },
          { partition: 1, offset: 0n },
        ],
        { maxWaitMs: 5000 },
      ),
    );
    await fetcher.send(f1.bytes);
    await new Promise((r) => setTimeout(r, 30));
    expect(fetcher.unread).toBe(0);
    await clock.advance(5000);
    const empty = await fetcher.next(1, 11);
    expect(empty.body.responses[0].partitions.map((p) => p.records?.length)).toEqual([0, 0]);

    // Wakes: a produce to either partition answers the fetch, with no time passing.
    const f2 = fetcher.frame(
      1,
      11,
      fetchBody(
        'lp',
        [
          { partition: 0, offset: 0n },
          { partition: 1, offset: 0n },
        ],
        { maxWaitMs: 60_000 },
      ),
    );
    await fetcher.send(f2.bytes);
    await new Promise((r) => setTimeout(r, 30));
    expect(fetcher.unread).toBe(0);
    await producer.request(0, 7, produceBody('lp', 1, await batch(['hello'])));
    const woke = await fetcher.next(1, 11);
    const [p0, p1] = woke.body.responses[0].partitions;
    expect(p0.records?.length).toBe(0);
    expect(p1.records?.length).toBeGreaterThan(0);
    expect(p1).toMatchObject({
      errorCode: 0,
      highWatermark: 1n,
      lastStableOffset: 1n,
      logStartOffset: 0n,
      preferredReadReplica: -1,
      abortedTransactions: [],
    });
  });

  it('answers at once when min_bytes is 0, whatever max_wait_ms says', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const b = await broker({ clock });
    await b.broker.store.createTopic('zero', 1, {});
    const c = await client(b);
    const res = await c.request(
      1,
      11,
      fetchBody('zero', [{ partition: 0, offset: 0n }], { maxWaitMs: 60_000, minBytes: 0 }),
    );
    expect(res.responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 0n });
  });

  it('serves stored bytes as sent, empty sets as zero-length bytes, and OFFSET_OUT_OF_RANGE past the end', async () => {
    const b = await broker();
    const c = await client(b);
    const sent = await batch(['a', 'b', 'c']);
    await c.request(0, 7, produceBody('f', 0, sent));
    const res = await c.request(1, 4, fetchBody('f', [{ partition: 0, offset: 0n }]));
    const stored = res.responses[0].partitions[0].records!;
    // Same bytes except the broker-assigned base offset (0 here) and leader epoch, outside the CRC.
    expect(stored.subarray(12 + 4 + 1)).toEqual(sent.subarray(12 + 4 + 1));
    const atEnd = await c.request(1, 4, fetchBody('f', [{ partition: 0, offset: 3n }]));
    expect(atEnd.responses[0].partitions[0].records).toEqual(Buffer.alloc(0));
    const beyond = await c.request(1, 4, fetchBody('f', [{ partition: 0, offset: 4n }]));
    expect(beyond.responses[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const unknown = await c.request(1, 4, fetchBody('nope', [{ partition: 0, offset: 0n }]));
    expect(unknown.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('respects partition_max_bytes: whole batches up to the limit, but at least one', async () => {
    const b = await broker();
    const c = await client(b);
    const one = await batch(['x'.repeat(300)]);
    for (let i = 0; i < 3; i++) await c.request(0, 7, produceBody('pmb', 0, one));
    const sizes = async (max: number) =>
      (await c.request(1, 11, fetchBody('pmb', [{ partition: 0, offset: 0n, max }]))).responses[0]
        .partitions[0].records!.length;
    expect(await sizes(10)).toBe(one.length);
    expect(await sizes(one.length * 2 + 10)).toBe(one.length * 2);
    expect(await sizes(1 << 20)).toBe(one.length * 3);
  });

  it('respects max_bytes across partitions but always returns the first batch', async () => {
    const b = await broker();
    await b.broker.store.createTopic('mb', 2, {});
    const c = await client(b);
    const big = await batch(['x'.repeat(500)]);
    await c.request(0, 7, produceBody('mb', 0, big));
    await c.request(0, 7, produceBody('mb', 1, big));
    const res = await c.request(
      1,
      11,
      fetchBody(
        'mb',
        [
          { partition: 0, offset: 0n },
          { partition: 1, offset: 0n },
        ],
        { maxBytes: 100 },
      ),
    );
    const [p0, p1] = res.responses[0].partitions;
    expect(p0.records?.length).toBe(big.length);
    expect(p1.records?.length).toBe(0);
    expect(p1.highWatermark).toBe(1n);
  });

  it('returns an oversized first batch only for the first partition with data (KIP-74)', async () => {
    const b = await broker();
    await b.broker.store.createTopic('kip74', 3, {});
    const c = await client(b);
    const big = await batch(['x'.repeat(300)]);
    for (const p of [0, 1, 2]) await c.request(0, 7, produceBody('kip74', p, big));
    const fetchAll = async (p0Offset: bigint) =>
      (
        await c.request(
          1,
          11,
          fetchBody('kip74', [
            { partition: 0, offset: p0Offset, max: 10 },
            { partition: 1, offset: 0n, max: 10 },
            { partition: 2, offset: 0n, max: 10 },
          ]),
        )
      ).responses[0].partitions.map((p) => ({
        error: p.errorCode,
        bytes: p.records?.length,
        hw: p.highWatermark,
      }));
    const skipped = { error: 0, bytes: 0, hw: 1n };
    expect(await fetchAll(0n)).toEqual([{ error: 0, bytes: big.length, hw: 1n }, skipped, skipped]);
    // p0 has nothing past offset 1, so p1 is the first partition with data and gets its batch.
    expect(await fetchAll(1n)).toEqual([
      { error: 0, bytes: 0, hw: 1n },
      { error: 0, bytes: big.length, hw: 1n },
      skipped,
    ]);
  });
});

describe('ListOffsets', () => {
  it('v0 returns exactly max_num_offsets entries; v1+ earliest, latest and by timestamp', async () => {
    const b = await broker();
    const c = await client(b);
    await c.request(0, 7, produceBody('lo', 0, await batch(['a', 'b'], 1000)));
    await c.request(0, 7, produceBody('lo', 0, await batch(['c', 'd'], 5000)));
    const v0 = await c.request(2, 0, {
      replicaId: -1,
      topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }],
    });
    expect(v0.topics[0].partitions[0].oldStyleOffsets).toEqual([4n]);
    const ask = async (timestamp: bigint) =>
      (
        await c.request(2, 5, {
          replicaId: -1,
          isolationLevel: 1,
          topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
        })
      ).topics[0].partitions[0];
    expect(await ask(-1n)).toMatchObject({ errorCode: 0, offset: 4n });
    expect(await ask(-2n)).toMatchObject({ errorCode: 0, offset: 0n });
    expect(await ask(1001n)).toMatchObject({ offset: 1n, timestamp: 1001n });
    expect(await ask(4000n)).toMatchObject({ offset: 2n, timestamp: 5000n });
    expect(await ask(9000n)).toMatchObject({ offset: -1n, timestamp: -1n });
  });
});

describe('admin APIs', () => {
  it('CreateTopics validates (validate_only, replication factor, duplicates, configs) and creates', async () => {
    const b = await broker();
    const c = await client(b);
    const topic = (
      name: string,
      numPartitions: number,
      replicationFactor = 1,
      configs: Array<{ name: string; value: string }> = [],
    ) => ({
      name,
      numPartitions,
      replicationFactor,
      assignments: [],
      configs,
    });
    const res = await c.request(19, 4, {
      timeoutMs: 1000,
      validateOnly: false,
      topics: [
        topic('ok', 3, 1, [{ name: 'retention.ms', value: '60000' }]),
        topic('rf3', 1, 3),
        topic('zero', 0),
        topic('badcfg', 1, 1, [{ name: 'retention.ms', value: 'forever' }]),
      ],
    });
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['ok', 0],
      ['rf3', ErrorCode.INVALID_REPLICATION_FACTOR],
      ['zero', ErrorCode.INVALID_PARTITIONS],
      ['badcfg', ErrorCode.INVALID_CONFIG],
    ]);
    expect(b.broker.store.partitionCount('ok')).toBe(3);
    const again = await c.request(19, 4, {
      timeoutMs: 1000,
      validateOnly: true,
      topics: [topic('ok', 1), topic('fresh', 2)],
    });
    expect(again.topics.map((t) => t.errorCode)).toEqual([ErrorCode.TOPIC_ALREADY_EXISTS, 0]);
    expect(b.broker.store.partitionCount('fresh')).toBeUndefined(); // validate_only
  });

  it('DescribeConfigs shows effective values; AlterConfigs raises retention and rejects bad values', async () => {
    const b = await broker();
    await b.broker.store.createTopic('cfg', 1, {});
    const c = await client(b);
    const describe = async () =>
      (
        await c.request(32, 2, {
          includeSynonyms: false,
          resources: [{ resourceType: 2, resourceName: 'cfg', configurationKeys: ['retention.ms'] }],
        })
      ).results[0];
    expect((await describe()).configs[0]).toMatchObject({
      name: 'retention.ms',
      isDefault: false,
      configSource: 5,
    });
    const alter = await c.request(33, 1, {
      validateOnly: false,
      resources: [
        { resourceType: 2, resourceName: 'cfg', configs: [{ name: 'retention.ms', value: '172800000' }] },
      ],
    });
    expect(alter.responses[0].errorCode).toBe(0);
    expect((await describe()).configs[0]).toMatchObject({ value: '172800000', configSource: 1 });
    const bad = await c.request(33, 1, {
      validateOnly: false,
      resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'retention.ms', value: 'x' }] }],
    });
    expect(bad.responses[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const missing = await c.request(33, 1, {
      validateOnly: false,
      resources: [{ resourceType: 2, resourceName: 'none', configs: [] }],
    });
    expect(missing.responses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('CreatePartitions grows but never shrinks; DeleteTopics removes and reports unknown names', async () => {
    const b = await broker();
    await b.broker.store.createTopic('grow', 2, {});
    const c = await client(b);
    const res = await c.request(37, 1, {
      timeoutMs: 1000,
      validateOnly: false,
      topics: [
        { name: 'grow', count: 5, assignments: null },
        { name: 'grow', count: 1, assignments: null },
        { name: 'absent', count: 2, assignments: null },
      ],
    });
    expect(res.results.map((r) => r.errorCode)).toEqual([
      0,
      ErrorCode.INVALID_PARTITIONS,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    expect(b.broker.store.partitionCount('grow')).toBe(5);
    const del = await c.request(20, 3, { topicNames: ['grow', 'absent'], timeoutMs: 1000 });
    expect(del.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ['grow', 0],
      ['absent', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect(b.broker.store.partitionCount('grow')).toBeUndefined();
  });
});

describe('topic ids (CreateTopics v7, DeleteTopics v6)', () => {
  it('returns the topic id on creation and deletes by id', async () => {
    const b = await broker();
    const c = await client(b);
    const created = await c.request(19, 7, {
      timeoutMs: 1000,
      validateOnly: false,
      topics: [{ name: 'ided', numPartitions: 2, replicationFactor: -1, assignments: [], configs: [] }],
    });
    const t = created.topics[0];
    expect(t).toMatchObject({ name: 'ided', errorCode: 0, numPartitions: 2, replicationFactor: 1 });
    expect(t.topicId).toBe(b.broker.store.topicId('ided'));
    expect(t.topicId).not.toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(t.configs?.find((e) => e.name === 'retention.ms')).toMatchObject({ configSource: 5 });
    const del = await c.request(20, 6, {
      timeoutMs: 1000,
      topics: [
        { name: null, topicId: t.topicId! },
        { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' },
      ],
    });
    expect(del.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ['ided', 0],
      [null, ErrorCode.UNKNOWN_TOPIC_ID],
    ]);
    expect(b.broker.store.partitionCount('ided')).toBeUndefined();
  });
});

describe('lifecycle and metrics', () => {
  it('stop() answers a waiting long-poll fetch before closing, and counts requests by API and version', async () => {
    const b = await startTestBroker({ durability: 'memory' });
    await b.broker.store.createTopic('s', 1, {});
    const c = await WireClient.open(b.port);
    await c.request(3, 1, { topics: null });
    const f = c.frame(1, 11, fetchBody('s', [{ partition: 0, offset: 0n }], { maxWaitMs: 60_000 }));
    await c.send(f.bytes);
    await new Promise((r) => setTimeout(r, 30));
    const metrics = await b.broker.metrics.registry.getSingleMetricAsString('sluice_broker_requests_total');
    expect(metrics).toMatch(/api="Metadata",version="1"} 1/);
    await b.stop();
    const answer = await c.next(1, 11);
    expect(answer.correlationId).toBe(f.correlationId);
    await c.raw.closed;
  });

  it('stop() warns about the grace period only when it ran out, not for clients closing as it stops', async () => {
    const { Broker } = await import('../../src/broker/broker.js');
    const { pino } = await import('pino');
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const b = new Broker({ port: 0, durability: 'memory' }, { logger });
    const { port } = await b.start();
    const open = await Promise.all([WireClient.open(port), WireClient.open(port), WireClient.open(port)]);
    for (const c of open) await c.request(3, 1, { topics: null });
    for (const c of open) c.close(); // not awaited, as `consumer.close(); admin.close(); await broker.stop()` does
    await b.stop();
    expect(lines.filter((l) => l.includes('grace period'))).toEqual([]);
  });

  it('reports a port already in use clearly and releases the logs', async () => {
    const first = await broker();
    const { Broker } = await import('../../src/broker/broker.js');
    const second = new Broker({ port: first.port, durability: 'memory' }, { logger: first.broker.log });
    await expect(second.start()).rejects.toThrow(
      /cannot listen on 127\.0\.0\.1:\d+: .*another broker is running there/,
    );
    expect(() => second.logManager).toThrow(/not running/);
    // The broker already on that port is unaffected.
    expect((await (await client(first)).request(18, 0, {})).errorCode).toBe(0);
  });

  it('refuses bad transaction settings at start, worded as every number refusal, and releases the logs', async () => {
    const { Broker } = await import('../../src/broker/broker.js');
    const partitions = new Broker({
      port: 0,
      durability: 'memory',
      transactions: { stateTopicPartitions: 0 },
    });
    await expect(partitions.start()).rejects.toThrow(
      'transactions.stateTopicPartitions must be a whole number >= 1 (got 0)',
    );
    expect(() => partitions.logManager).toThrow(/not running/);
    const timeout = new Broker({ port: 0, durability: 'memory', transactions: { maxTimeoutMs: 0 } });
    await expect(timeout.start()).rejects.toThrow(
      'transactions.maxTimeoutMs (ms) must be a whole number above 0 (got 0)',
    );
  });

  it('refuses bad configuration with a message saying what to fix', async () => {
    const { Broker } = await import('../../src/broker/broker.js');
    expect(() => new Broker({ port: 70000 })).toThrow(/port must be a whole number from 0 to 65535/);
    expect(() => new Broker({ durability: 'eventually' as never })).toThrow(
      /durability must be one of memory, async, sync/,
    );
    expect(() => new Broker({ quotas: { mode: 'reject' } })).toThrow(/recordsPerSecond/);
    expect(() => new Broker({ shutdownGraceMs: -1 })).toThrow(
      /shutdownGraceMs must be a whole number from 0/,
    );
    expect(() => new Broker({ logLevel: 'loud' as never })).toThrow(
      /logLevel must be one of fatal, error, warn/,
    );
  });

  it('logs from warn up when embedded, at the level asked for otherwise', async () => {
    const { resolveBrokerConfig } = await import('../../src/broker/config.js');
    const saved = process.env.SLUICE_LOG_LEVEL;
    delete process.env.SLUICE_LOG_LEVEL;
    try {
      expect(resolveBrokerConfig({}).logLevel).toBe('warn');
      expect(resolveBrokerConfig({ logLevel: 'debug' }).logLevel).toBe('debug');
      process.env.SLUICE_LOG_LEVEL = 'error';
      expect(resolveBrokerConfig({}).logLevel).toBe('error');
    } finally {
      if (saved === undefined) delete process.env.SLUICE_LOG_LEVEL;
      else process.env.SLUICE_LOG_LEVEL = saved;
    }
    const { Broker } = await import('../../src/broker/broker.js');
    expect(new Broker({ logLevel: 'silent' }).log.level).toBe('silent');
  });
});
