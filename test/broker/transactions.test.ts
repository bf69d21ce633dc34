/**
 * The transaction coordinator and the transactional state of partitions, through the wire protocol:
 * the last stable offset an open transaction holds back, the aborted transactions a read_committed
 * fetch lists, fencing in Produce, the abort of a transaction whose producer went away (timeout), and
 * all of it found again after a restart (rebuilt from `__transaction_state` and the partition logs).
 * The same behaviour with real clients, compared with Kafka, is in test/suites/transactions.ts.
 */
import { mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BrokerOptions } from '../../src/broker/config.js';
import { readTxnIndex, TXN_INDEX_SUFFIX } from '../../src/broker/storage/txn-index.js';
import { Admin } from '../../src/client/admin.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';
import { type BrokerProcess, killBrokers, startBrokerProcess } from '../crash/broker-process.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/burrow.js';
import { WireClient } from '../helpers/wire-client.js';

const dirs: string[] = [];
const open: Array<TestBroker | WireClient> = [];
afterAll(async () => {
  killBrokers();
  for (const o of open.splice(0)) await (o instanceof WireClient ? o.close() : o.stop());
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const TOPIC = 'txn';

async function connect(dataDir: string, options: BrokerOptions = {}) {
  const b = await startTestBroker({ dataDir, durability: 'sync', ...options });
  const c = await WireClient.open(b.port);
  open.push(c, b);
  return { b, ...transactionalRequests(c) };
}

/** The transactional requests of these tests, over one wire connection. */
function transactionalRequests(c: WireClient) {
  const produce = async (records: Buffer, transactionalId: string | null) =>
    (
      await c.request(0, 7, {
        transactionalId,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
      })
    ).responses[0].partitionResponses[0];
  const fetch = async (isolationLevel: number, fetchOffset = 0n) =>
    (
      await c.request(1, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: TOPIC,
            partitions: [{ partition: 0, fetchOffset, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      })
    ).responses[0].partitions[0];
  const init = async (transactionalId: string, transactionTimeoutMs = 60_000) =>
    c.request(22, 1, { transactionalId, transactionTimeoutMs });
  const addPartition = async (transactionalId: string, producerId: bigint, producerEpoch: number) =>
    (
      await c.request(24, 1, {
        v3AndBelowTransactionalId: transactionalId,
        v3AndBelowProducerId: producerId,
        v3AndBelowProducerEpoch: producerEpoch,
        v3AndBelowTopics: [{ name: TOPIC, partitions: [0] }],
      })
    ).resultsByTopicV3AndBelow?.[0]?.resultsByPartition[0]?.partitionErrorCode;
  const endTxn = async (
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    committed: boolean,
  ) => (await c.request(26, 1, { transactionalId, producerId, producerEpoch, committed })).errorCode;
  return { c, produce, fetch, init, addPartition, endTxn };
}

const batch = (
  values: string[],
  producerId: bigint,
  producerEpoch: number,
  baseSequence: number,
  transactional = true,
) =>
  buildRecordBatch({
    records: values.map((value) => ({ value, timestamp: 1 })),
    producerId,
    producerEpoch,
    baseSequence,
    transactional,
  });

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'sluice-txn-'));
  dirs.push(d);
  return d;
}

type TransactionalRequests = ReturnType<typeof transactionalRequests>;

/**
 * Writes a plain record (offset 0), then opens transaction `transactionalId` holding one record `value`
 * (offset 1) and leaves it open; resolves with the producer id and epoch InitProducerId gave.
 */
async function openOneRecordTxn(
  t: TransactionalRequests,
  transactionalId: string,
  value: string,
  transactionTimeoutMs?: number,
) {
  await t.produce(await batch(['plain'], -1n, -1, -1, false), null);
  const ids = await t.init(transactionalId, transactionTimeoutMs);
  expect(await t.addPartition(transactionalId, ids.producerId, ids.producerEpoch)).toBe(0);
  const written = await t.produce(
    await batch([value], ids.producerId, ids.producerEpoch, 0),
    transactionalId,
  );
  expect(written).toMatchObject({ errorCode: 0, baseOffset: 1n });
  return ids;
}

describe('transactions in the broker', () => {
  it('holds the last stable offset at an open transaction and lists aborted ones, across restarts', async () => {
    const dataDir = tempDir();
    const first = await connect(dataDir);
    await first.produce(await batch(['plain'], -1n, -1, -1, false), null);
    const { producerId, producerEpoch } = await first.init('t-open');
    expect(await first.addPartition('t-open', producerId, producerEpoch)).toBe(0);
    expect(
      await first.produce(await batch(['a1', 'a2'], producerId, producerEpoch, 0), 't-open'),
    ).toMatchObject({
      errorCode: 0,
      baseOffset: 1n,
    });
    expect(await first.fetch(1)).toMatchObject({
      highWatermark: 3n,
      lastStableOffset: 1n,
      abortedTransactions: [],
    });
    expect(await first.endTxn('t-open', producerId, producerEpoch, false)).toBe(0);
    // EndTxn answers once the abort is prepared; the marker follows (see the last test).
    await first.b.broker.transactions.settled();
    // The abort marker is at offset 3: read_committed readers are told to drop the producer's batches from 1.
    expect(await first.fetch(1)).toMatchObject({
      highWatermark: 4n,
      lastStableOffset: 4n,
      abortedTransactions: [{ producerId, firstOffset: 1n }],
    });
    expect((await first.fetch(0)).abortedTransactions).toBeNull();
    // A second transaction stays open across the restart.
    expect(await first.addPartition('t-open', producerId, producerEpoch)).toBe(0);
    expect(
      (await first.produce(await batch(['b1'], producerId, producerEpoch, 2), 't-open')).baseOffset,
    ).toBe(4n);
    await first.c.close();
    await first.b.stop();

    const second = await connect(dataDir, { transactions: { abortCheckIntervalMs: 50 } });
    expect(await second.fetch(1)).toMatchObject({
      highWatermark: 5n,
      lastStableOffset: 4n,
      abortedTransactions: [{ producerId, firstOffset: 1n }],
    });
    // The coordinator found the open transaction again: the producer commits it after the restart.
    expect(await second.endTxn('t-open', producerId, producerEpoch, true)).toBe(0);
    await second.b.broker.transactions.settled();
    expect(await second.fetch(1)).toMatchObject({ highWatermark: 6n, lastStableOffset: 6n });
  });

  it('fences an older epoch and refuses writes to partitions not added to the transaction', async () => {
    const t = await connect(tempDir());
    const older = await t.init('t-fence');
    expect(
      (await t.produce(await batch(['x'], older.producerId, older.producerEpoch, 0), 't-fence')).errorCode,
    ).toBe(ErrorCode.INVALID_TXN_STATE);
    const newer = await t.init('t-fence');
    expect(newer).toMatchObject({ producerId: older.producerId, producerEpoch: older.producerEpoch + 1 });
    expect(await t.addPartition('t-fence', older.producerId, older.producerEpoch)).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    expect(await t.addPartition('t-fence', newer.producerId, newer.producerEpoch)).toBe(0);
    expect(
      (await t.produce(await batch(['zombie'], older.producerId, older.producerEpoch, 0), 't-fence'))
        .errorCode,
    ).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await t.endTxn('t-fence', older.producerId, older.producerEpoch, true)).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
  });

  it('aborts a transaction whose producer went away once its timeout passed, fencing that producer', async () => {
    const t = await connect(tempDir(), { transactions: { abortCheckIntervalMs: 50 } });
    const { producerId, producerEpoch } = await openOneRecordTxn(t, 't-timeout', 'late', 300);
    await waitFor(
      'the timed-out transaction to be aborted',
      async () => {
        const f = await t.fetch(1);
        return f.lastStableOffset === f.highWatermark && f.highWatermark === 3n ? f : undefined;
      },
      10_000,
    );
    expect((await t.fetch(1)).abortedTransactions).toEqual([{ producerId, firstOffset: 1n }]);
    expect(t.b.broker.transactions.describe('t-timeout')).toMatchObject({
      transactionState: 'CompleteAbort',
      producerEpoch: producerEpoch + 1,
    });
    expect(await t.endTxn('t-timeout', producerId, producerEpoch, true)).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
  });

  it('answers EndTxn once the outcome is prepared; the next request gets CONCURRENT_TRANSACTIONS until the markers are in', async () => {
    const t = await connect(tempDir());
    const { producerId, producerEpoch } = await openOneRecordTxn(t, 't-prepare', 'c1');
    // Hold the marker's append back, as a slow disk (or, in Kafka, the WriteTxnMarkers round trip) would.
    const store = t.b.broker.store;
    const partition = store.partition.bind(store);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    store.partition = (topic, index) => {
      const log = partition(topic, index);
      if (!log || topic !== TOPIC) return log;
      return Object.assign(Object.create(log), {
        append: async (...args: Parameters<typeof log.append>) => {
          await gate;
          return log.append(...args);
        },
      });
    };
    expect(await t.endTxn('t-prepare', producerId, producerEpoch, true)).toBe(0);
    expect(t.b.broker.transactions.describe('t-prepare').transactionState).toBe('PrepareCommit');
    expect(await t.fetch(1)).toMatchObject({ highWatermark: 2n, lastStableOffset: 1n });
    expect(await t.addPartition('t-prepare', producerId, producerEpoch)).toBe(
      ErrorCode.CONCURRENT_TRANSACTIONS,
    );
    expect(await t.endTxn('t-prepare', producerId, producerEpoch, true)).toBe(
      ErrorCode.CONCURRENT_TRANSACTIONS,
    );
    expect((await t.init('t-prepare')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    release();
    await t.b.broker.transactions.settled();
    store.partition = partition;
    expect(t.b.broker.transactions.describe('t-prepare').transactionState).toBe('CompleteCommit');
    expect(await t.fetch(1)).toMatchObject({ highWatermark: 3n, lastStableOffset: 3n });
    expect(await t.addPartition('t-prepare', producerId, producerEpoch)).toBe(0);
  });

  it('a prepared transaction whose markers failed is completed by the periodic check; InitProducerId waits for it', async () => {
    const t = await connect(tempDir(), { transactions: { abortCheckIntervalMs: 50 } });
    const { producerId, producerEpoch } = await openOneRecordTxn(t, 't-stuck', 's1');
    // The partition refuses appends for a while, as a full disk would.
    const store = t.b.broker.store;
    const partition = store.partition.bind(store);
    store.partition = (topic, index) => {
      const log = partition(topic, index);
      if (!log || topic !== TOPIC) return log;
      return Object.assign(Object.create(log), {
        append: () => Promise.reject(new Error('no space left on device')),
      });
    };
    expect(await t.endTxn('t-stuck', producerId, producerEpoch, true)).toBe(0);
    await t.b.broker.transactions.settled();
    expect(t.b.broker.transactions.describe('t-stuck').transactionState).toBe('PrepareCommit');
    // The decision stands: a new instance is not handed the id before the commit is complete.
    expect((await t.init('t-stuck')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    store.partition = partition;
    await waitFor(
      'the periodic check to complete the commit',
      async () =>
        t.b.broker.transactions.describe('t-stuck').transactionState === 'CompleteCommit' ? true : undefined,
      10_000,
    );
    expect(await t.fetch(1)).toMatchObject({
      highWatermark: 3n,
      lastStableOffset: 3n,
      abortedTransactions: [],
    });
    expect(await t.init('t-stuck')).toMatchObject({ errorCode: 0, producerEpoch: producerEpoch + 1 });
  });

  it("InitProducerId over an open transaction: CONCURRENT_TRANSACTIONS while it is aborted, then the epoch after the abort's", async () => {
    const t = await connect(tempDir());
    const older = await openOneRecordTxn(t, 't-takeover', 'left open');
    // As Kafka: the first call fences the holder and starts the abort; the client retries.
    expect((await t.init('t-takeover')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    const newer = await waitFor(
      'InitProducerId accepted',
      async () => {
        const r = await t.init('t-takeover');
        return r.errorCode === 0 ? r : undefined;
      },
      10_000,
    );
    expect(newer.producerId).toBe(older.producerId);
    // One bump fenced the holder for the abort, the next is the new producer's.
    expect(newer.producerEpoch).toBe(older.producerEpoch + 2);
    expect(await t.fetch(1)).toMatchObject({
      highWatermark: 3n,
      lastStableOffset: 3n,
      abortedTransactions: [{ producerId: older.producerId, firstOffset: 1n }],
    });
    expect(await t.endTxn('t-takeover', older.producerId, older.producerEpoch, true)).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
  });
});

describe('the aborted-transactions index (.txnindex) per segment', () => {
  /** Every `.txnindex` of the partition, by file name, decoded. */
  const txnIndexFiles = (dataDir: string) => {
    const dir = path.join(dataDir, `${TOPIC}-0`);
    const names = readdirSync(dir)
      .filter((n) => n.endsWith(TXN_INDEX_SUFFIX))
      .sort();
    return Object.fromEntries(
      names.map((n) => [n, readTxnIndex(path.join(dir, n.slice(0, -TXN_INDEX_SUFFIX.length)))]),
    );
  };

  it('is written beside the segment holding each abort marker, rebuilt after kill -9, deleted with its segment', async () => {
    const dataDir = tempDir();
    let broker: BrokerProcess = await startBrokerProcess(dataDir, 'sync');
    const admin = new Admin({ brokers: [broker.bootstrap] });
    // Small segments: the transactions' markers land in different segments.
    await admin.createTopics([{ topic: TOPIC, numPartitions: 1, configs: { 'segment.bytes': '200' } }]);
    admin.cluster.close();
    let t = transactionalRequests(await WireClient.open(broker.port));
    const { producerId, producerEpoch } = await t.init('t-index');
    const settledFetch = async () => {
      let f = await t.fetch(1);
      await waitFor(
        'the markers',
        async () => {
          f = await t.fetch(1);
          return f.lastStableOffset === f.highWatermark ? f : undefined;
        },
        10_000,
      );
      return f;
    };
    let sequence = 0;
    const transaction = async (values: string[], commit: boolean) => {
      // CONCURRENT_TRANSACTIONS while the previous transaction's complete record is on its way.
      await waitFor(
        'AddPartitionsToTxn accepted',
        async () => ((await t.addPartition('t-index', producerId, producerEpoch)) === 0 ? true : undefined),
        10_000,
      );
      const r = await t.produce(await batch(values, producerId, producerEpoch, sequence), 't-index');
      expect(r.errorCode).toBe(0);
      sequence += values.length;
      expect(await t.endTxn('t-index', producerId, producerEpoch, commit)).toBe(0);
      await settledFetch();
      return r.baseOffset as bigint;
    };
    await t.produce(await batch(['plain'], -1n, -1, -1, false), null);
    const first = await transaction(['a1', 'a2'], false);
    await transaction(['c1'], true);
    const third = await transaction(['a3'], false);
    // A fetch reads one segment: read from each aborted transaction's first offset, it is listed.
    const abortedSeen = async () => [
      ...((await t.fetch(1, first)).abortedTransactions ?? []),
      ...((await t.fetch(1, third)).abortedTransactions ?? []),
    ];
    const aborted = [
      { producerId, firstOffset: first },
      { producerId, firstOffset: third },
    ];
    expect(await abortedSeen()).toEqual(aborted);
    const written = txnIndexFiles(dataDir);
    // Each abort in the segment that holds its marker (right after its records), with the LSO after it.
    expect(Object.values(written).flat()).toEqual([
      { producerId, firstOffset: first, lastOffset: first + 2n, lastStableOffset: first + 3n },
      { producerId, firstOffset: third, lastOffset: third + 1n, lastStableOffset: third + 2n },
    ]);
    expect(Object.keys(written).length).toBe(2);

    // kill -9; the files as written are found again and still agree with the log.
    await t.c.close();
    await broker.kill9();
    broker = await startBrokerProcess(dataDir, 'sync');
    t = transactionalRequests(await WireClient.open(broker.port));
    expect(await abortedSeen()).toEqual(aborted);
    expect(txnIndexFiles(dataDir)).toEqual(written);

    // A crash that lost the index appends (files gone or torn) is repaired from the log at start-up.
    const dir = path.join(dataDir, `${TOPIC}-0`);
    const [lost, torn] = Object.keys(written);
    rmSync(path.join(dir, lost));
    truncateSync(path.join(dir, torn), 20);
    await t.c.close();
    await broker.kill9();
    broker = await startBrokerProcess(dataDir, 'sync');
    t = transactionalRequests(await WireClient.open(broker.port));
    expect(await abortedSeen()).toEqual(aborted);
    expect(txnIndexFiles(dataDir)).toEqual(written);
    await t.c.close();
    await broker.stop();

    // Retention deletes the segments, and their indexes with them.
    const b = await startTestBroker({ dataDir, durability: 'sync' });
    open.push(b);
    const log = b.broker.logManager.getLog(TOPIC, 0);
    const deleted = await log?.applyRetention(Date.now() + 30 * 24 * 3600 * 1000);
    const segmentNames = (bases: bigint[] | undefined) =>
      (bases ?? []).map((o) => String(o).padStart(20, '0'));
    expect(segmentNames(deleted)).toEqual(
      expect.arrayContaining(Object.keys(written).map((n) => n.slice(0, 20))),
    );
    expect(txnIndexFiles(dataDir)).toEqual({});
  }, 60_000);
});
