/**
 * Our client reading a partition written by a transactional producer (kafkajs): read_committed stops
 * at the last stable offset and drops the batches of aborted transactions the broker names;
 * read_uncommitted gets every record. Both skip the transaction markers.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Cluster } from '../../src/client/cluster.js';
import { fetchRecords } from '../../src/client/fetcher.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let b: TestBroker;
let cluster: Cluster;
beforeAll(async () => {
  b = await startTestBroker({ durability: 'memory' });
  cluster = new Cluster({ brokers: [b.bootstrap], clientId: 'read-committed-test' });
});
afterAll(async () => {
  cluster?.close();
  await b?.stop();
});

const values = async (isolationLevel: 0 | 1) =>
  (
    await fetchRecords(cluster, {
      partitions: [{ topic: 'txn-read', partition: 0, offset: 0n, maxBytes: 1 << 20 }],
      maxBytes: 1 << 20,
      maxWaitMs: 0,
      minBytes: 0,
      isolationLevel,
    })
  ).partitions[0].records.map((r) => r.value?.toString());

it('read_committed drops aborted transactions and stops at an open one; read_uncommitted reads all', async () => {
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({
    transactionalId: 'reader-test',
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'txn-read', messages: [{ value: 'a1' }, { value: 'a2' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic: 'txn-read', messages: [{ value: 'c1' }] });
    await committed.commit();
    const open = await producer.transaction();
    await open.send({ topic: 'txn-read', messages: [{ value: 'o1' }] });
    expect(await values(1)).toEqual(['c1']);
    expect(await values(0)).toEqual(['a1', 'a2', 'c1', 'o1']);
    await open.commit();
    expect(await values(1)).toEqual(['c1', 'o1']);
  } finally {
    await producer.disconnect();
  }
});
