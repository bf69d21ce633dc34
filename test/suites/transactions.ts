import { fileURLToPath } from 'node:url';
import { Kafka, type Producer as KafkaJsProducer, logLevel } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { Cluster } from '../../src/client/cluster.js';
import { ProducerFencedError } from '../../src/client/errors.js';
import { fetchRecords } from '../../src/client/fetcher.js';
import { Producer } from '../../src/client/producer.js';
import { createExactlyOnceJob } from '../../src/consumer/exactly-once.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { kafkaCli } from '../helpers/kafka.js';
import { killChildren, run } from '../helpers/run.js';
import type { Target } from '../helpers/targets.js';
import { uniqueName } from '../helpers/targets.js';
import { describeWithTools, pythonRuntimes } from '../helpers/tools.js';
import { brokersOf, until } from './common.js';

const SCRIPT = fileURLToPath(new URL('../compat/python/transactions.py', import.meta.url));

/**
 * Transactions seen by real clients, written once and run on the embedded broker and on the rig's Kafka
 * cluster, so the same scenarios must give the same observable results: what read_committed and
 * read_uncommitted readers get, where a consume-transform-produce job's group offsets end, and which
 * error a fenced producer gets. librdkafka (confluent-kafka from PyPI) and kafkajs each drive them.
 */
export function transactionsSuite(target: Target): void {
  librdkafkaTransactions(target);
  kafkajsTransactions(target);
  ourClientTransactions(target);
  exactlyOnceJob(target);
  transactionTools(target);
  endTxnBeforeMarkers(target);
}

/**
 * Kafka's coordinator answers EndTxn once the PREPARE record is durable and writes the markers after;
 * until the transaction is complete, the transactional id's next request gets CONCURRENT_TRANSACTIONS
 * (clients retry it). Both brokers: an AddPartitionsToTxn sent right behind EndTxn, on the same
 * connection, gets NONE or CONCURRENT_TRANSACTIONS and nothing else, and a retry opens the next
 * transaction. (test/broker/transactions.test.ts holds the markers back to show the window itself.)
 */
function endTxnBeforeMarkers(target: Target): void {
  it('EndTxn then AddPartitionsToTxn at once: NONE or CONCURRENT_TRANSACTIONS, and the retry opens the next transaction', async () => {
    const topic = uniqueName('txn-end');
    const partitions = [0, 1, 2, 3, 4, 5];
    const admin = new Kafka({ brokers: brokersOf(target()), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions.length }] });
    } finally {
      await admin.disconnect();
    }
    const id = uniqueName('txn-end');
    const cluster = new Cluster({ brokers: brokersOf(target()), clientId: 'txn-end' });
    try {
      let conn = await cluster.coordinator(id, 1);
      let producer = { producerId: -1n, producerEpoch: -1 };
      await until(
        'InitProducerId',
        async () => {
          conn = await cluster.coordinator(id, 1);
          const r = await conn.request(ApiKey.InitProducerId, {
            transactionalId: id,
            transactionTimeoutMs: 60_000,
          });
          producer = { producerId: r.producerId, producerEpoch: r.producerEpoch };
          return r.errorCode === ErrorCode.NONE;
        },
        30_000,
      );
      const add = async () => {
        const r = await conn.request(ApiKey.AddPartitionsToTxn, {
          v3AndBelowTransactionalId: id,
          v3AndBelowProducerId: producer.producerId,
          v3AndBelowProducerEpoch: producer.producerEpoch,
          v3AndBelowTopics: [{ name: topic, partitions }],
        });
        return (r.resultsByTopicV3AndBelow ?? []).flatMap((t) =>
          t.resultsByPartition.map((p) => p.partitionErrorCode),
        );
      };
      const retryAdd = () =>
        until('AddPartitionsToTxn to be accepted', async () =>
          (await add()).every((c) => c === ErrorCode.NONE),
        );
      const seen: number[] = [];
      await retryAdd();
      for (let round = 0; round < 5; round++) {
        const ended = conn.request(ApiKey.EndTxn, { transactionalId: id, ...producer, committed: true });
        const next = add();
        expect((await ended).errorCode).toBe(ErrorCode.NONE);
        seen.push(...(await next));
        await retryAdd();
      }
      expect(
        [...new Set(seen)].filter((c) => c !== ErrorCode.NONE && c !== ErrorCode.CONCURRENT_TRANSACTIONS),
      ).toEqual([]);
      const aborted = await conn.request(ApiKey.EndTxn, {
        transactionalId: id,
        ...producer,
        committed: false,
      });
      expect(aborted.errorCode).toBe(ErrorCode.NONE);
      console.log(`[EndTxn before markers, ${target().kind}] next request answered: ${seen.join(',')}`);
    } finally {
      cluster.close();
    }
  }, 60_000);
}

function transactionTools(target: Target): void {
  it('kafka-transactions list and describe show a committed transactional id with its producer', async () => {
    const id = uniqueName('tool-txn');
    const kafka = new Kafka({ brokers: target().bootstrap.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const txn = await producer.transaction();
      await txn.send({ topic: uniqueName('txn-tool'), messages: [{ value: 'v' }] });
      await txn.commit();
    } finally {
      await producer.disconnect();
    }
    const bootstrap = ['--bootstrap-server', target().bootstrap];
    const row = (out: string) => out.split('\n').find((line) => line.split(/\s+/).includes(id)) ?? '';
    // Kafka completes the commit after answering EndTxn, so its state may read PrepareCommit briefly.
    await until(`${id} listed as CompleteCommit`, async () =>
      /\bCompleteCommit\b/.test(row((await kafkaCli('kafka-transactions', [...bootstrap, 'list'])).stdout)),
    );
    const described = row(
      (await kafkaCli('kafka-transactions', [...bootstrap, 'describe', '--transactional-id', id])).stdout,
    ).split(/\s+/);
    // CoordinatorId, TransactionalId, ProducerId, ProducerEpoch, TransactionState, TransactionTimeoutMs…
    expect(described.slice(1, 5)).toEqual([id, expect.stringMatching(/^\d+$/), '0', 'CompleteCommit']);
  }, 90_000);
}

function librdkafkaTransactions(target: Target): void {
  const pypi = pythonRuntimes().find((r) => r.label === 'pypi');
  if (!pypi) throw new Error('pythonRuntimes() lists no PyPI runtime');
  describeWithTools('librdkafka (confluent-kafka from PyPI) transactions', [pypi.confluentKafka], () => {
    afterAll(() => killChildren());
    const py = async (args: string[]) => {
      const { stdout } = await run(
        pypi.python,
        [SCRIPT, args[0] ?? '', target().bootstrap, ...args.slice(1)],
        {
          timeoutMs: 90_000,
        },
      );
      return JSON.parse(stdout.trim().split('\n').pop() ?? 'null');
    };

    it('read_committed readers get committed transactions only; read_uncommitted ones get aborted records too', async () => {
      const topic = uniqueName('txn-rdk');
      const id = uniqueName('rdk-producer');
      await py(['produce', id, topic, 'abort:3,commit:2,abort:1,commit:1']);
      const committed = await py(['consume', topic, 'read_committed', '3', '2']);
      expect(committed.values).toEqual([`${id}-1.0-commit`, `${id}-1.1-commit`, `${id}-3.0-commit`]);
      const everything = await py(['consume', topic, 'read_uncommitted', '7', '2']);
      expect(everything.values).toEqual([
        `${id}-0.0-abort`,
        `${id}-0.1-abort`,
        `${id}-0.2-abort`,
        `${id}-1.0-commit`,
        `${id}-1.1-commit`,
        `${id}-2.0-abort`,
        `${id}-3.0-commit`,
      ]);
    }, 120_000);

    it('consume-transform-produce: send_offsets_to_transaction moves the group only when the transaction commits', async () => {
      const input = uniqueName('txn-rdk-in');
      const output = uniqueName('txn-rdk-out');
      const id = uniqueName('rdk-source');
      await py(['produce', id, input, 'commit:5']);
      // The first transaction (five outputs and the input offsets) is aborted, the second commits.
      const piped = await py([
        'pipe',
        uniqueName('rdk-pipe'),
        uniqueName('rdk-group'),
        input,
        output,
        '5',
        '1',
      ]);
      expect(piped.committed).toEqual([5]);
      const out = await py(['consume', output, 'read_committed', '5', '2']);
      expect(out.values).toEqual([0, 1, 2, 3, 4].map((i) => `${id}-0.${i}-commit!`));
    }, 120_000);

    it('a second producer with the same transactional id fences the first, fatally', async () => {
      const fenced = await py(['fence', uniqueName('rdk-zombie'), uniqueName('txn-rdk-fence')]);
      expect(fenced).toEqual({ error: '_FENCED', fatal: true });
    }, 120_000);
  });
}

function kafkajsTransactions(target: Target): void {
  const kafka = () => new Kafka({ brokers: target().bootstrap.split(','), logLevel: logLevel.NOTHING });
  const transactional = async (transactionalId: string): Promise<KafkaJsProducer> => {
    const producer = kafka().producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return producer;
  };
  const readAll = (topic: string, readUncommitted: boolean, expected: number) =>
    readWithKafkajs(target, topic, readUncommitted, expected);

  it('kafkajs: aborted records stay invisible to read_committed, and transactional offsets appear only at commit', async () => {
    const topic = uniqueName('txn-kjs');
    const source = uniqueName('txn-kjs-src');
    const group = uniqueName('kjs-group');
    const admin = kafka().admin();
    await admin.connect();
    const producer = await transactional(uniqueName('kjs-producer'));
    try {
      await admin.createTopics({ topics: [{ topic }, { topic: source }] });
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [{ value: 'a1' }, { value: 'a2' }] });
      await aborted.sendOffsets({
        consumerGroupId: group,
        topics: [{ topic: source, partitions: [{ partition: 0, offset: '3' }] }],
      });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({ topic, messages: [{ value: 'c1' }, { value: 'c2' }] });
      await committed.sendOffsets({
        consumerGroupId: group,
        topics: [{ topic: source, partitions: [{ partition: 0, offset: '7' }] }],
      });
      const before = await admin.fetchOffsets({ groupId: group, topics: [source] });
      expect(before[0]?.partitions[0]?.offset).toBe('-1');
      await committed.commit();
      // Kafka answers EndTxn once the commit is prepared and writes the markers after, so the offsets
      // show up shortly after the commit there; the embedded broker answers after the markers.
      const committedOffset = async () =>
        (await admin.fetchOffsets({ groupId: group, topics: [source] }))[0]?.partitions[0]?.offset;
      await until(
        "the transaction's offsets to become the group's",
        async () => (await committedOffset()) === '7',
      );
      expect(await readAll(topic, false, 2)).toEqual(['c1', 'c2']);
      expect(await readAll(topic, true, 4)).toEqual(['a1', 'a2', 'c1', 'c2']);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 60_000);

  it('kafkajs: a newer producer with the same transactional id fences the older one', async () => {
    const id = uniqueName('kjs-zombie');
    const topic = uniqueName('txn-kjs-fence');
    const older = await transactional(id);
    const newer = await transactional(id);
    try {
      const first = await older.transaction();
      await first.send({ topic, messages: [{ value: 'first' }] });
      await first.commit();
      await (await newer.transaction()).abort();
      const zombie = await older.transaction();
      const failure = await zombie
        .send({ topic, messages: [{ value: 'zombie' }] })
        .then(() => zombie.commit().then(() => undefined))
        .catch((err: { type?: string }) => err.type);
      // kafkajs sends AddPartitionsToTxn v1, which is answered INVALID_PRODUCER_EPOCH (PRODUCER_FENCED is v2+).
      expect(failure).toBe('INVALID_PRODUCER_EPOCH');
    } finally {
      await older.disconnect();
      await newer.disconnect();
    }
  }, 60_000);
}

/** Every value of `topic` as a kafkajs consumer sees it, read_committed unless `readUncommitted`. */
async function readWithKafkajs(
  target: Target,
  topic: string,
  readUncommitted: boolean,
  expected: number,
): Promise<string[]> {
  const kafka = new Kafka({ brokers: target().bootstrap.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: uniqueName('kjs-reader'),
    readUncommitted,
    maxWaitTimeInMs: 200,
  });
  const seen: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value?.toString() ?? '');
      },
    });
    await until(`${expected} records of ${topic}`, () => seen.length >= expected, 30_000);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

function ourClientTransactions(target: Target): void {
  const producers: Producer[] = [];
  afterAll(async () => {
    await Promise.all(producers.map((p) => p.close({ flush: false })));
  });
  const transactional = async (transactionalId: string): Promise<Producer> => {
    const producer = new Producer({ brokers: brokersOf(target()), transactionalId, lingerMs: 0 });
    producers.push(producer);
    await producer.initTransactions();
    return producer;
  };
  const kafkajsAdmin = async () => {
    const admin = new Kafka({ brokers: target().bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    return admin;
  };

  it('our producer: a committed transaction is visible to read_committed, an aborted one is not', async () => {
    const topic = uniqueName('txn-ours');
    const admin = await kafkajsAdmin();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    } finally {
      await admin.disconnect();
    }
    const producer = await transactional(uniqueName('ours-producer'));
    await expect(producer.send([{ topic, value: 'outside' }])).rejects.toThrow(
      /sends only inside a transaction; call beginTransaction\(\) first/,
    );
    producer.beginTransaction();
    await producer.send([
      { topic, value: 'a1' },
      { topic, value: 'a2' },
    ]);
    await producer.abortTransaction();
    producer.beginTransaction();
    await producer.send([
      { topic, value: 'c1' },
      { topic, value: 'c2' },
    ]);
    await producer.commitTransaction();
    expect(await readWithKafkajs(target, topic, false, 2)).toEqual(['c1', 'c2']);
    expect(await readWithKafkajs(target, topic, true, 4)).toEqual(['a1', 'a2', 'c1', 'c2']);
  }, 60_000);

  it("our producer: offsets sent to a transaction become the group's only when it commits", async () => {
    const topic = uniqueName('txn-ours-out');
    const source = uniqueName('txn-ours-src');
    const group = uniqueName('ours-group');
    const admin = await kafkajsAdmin();
    try {
      await admin.createTopics({ topics: [{ topic }, { topic: source }] });
      const committedOffset = async () =>
        (await admin.fetchOffsets({ groupId: group, topics: [source] }))[0]?.partitions[0]?.offset;
      const producer = await transactional(uniqueName('ours-pipe'));
      producer.beginTransaction();
      await producer.send([{ topic, value: 'aborted' }]);
      await producer.sendOffsetsToTransaction([{ topic: source, partition: 0, offset: 3n }], group);
      await producer.abortTransaction();
      producer.beginTransaction();
      await producer.send([{ topic, value: 'committed' }]);
      await producer.sendOffsetsToTransaction([{ topic: source, partition: 0, offset: 7n }], group);
      expect(await committedOffset()).toBe('-1');
      await producer.commitTransaction();
      // Kafka writes the markers (and so the offsets) just after answering EndTxn; see the kafkajs test.
      await until(
        "the transaction's offsets to become the group's",
        async () => (await committedOffset()) === '7',
      );
      expect(await readWithKafkajs(target, topic, false, 1)).toEqual(['committed']);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it('our producer: a newer producer with the same transactional id fences the older one with ProducerFencedError', async () => {
    const id = uniqueName('ours-zombie');
    const topic = uniqueName('txn-ours-fence');
    const older = await transactional(id);
    older.beginTransaction();
    await older.send([{ topic, value: 'first' }]);
    await older.commitTransaction();
    await transactional(id);
    older.beginTransaction();
    const zombie = await older.send([{ topic, value: 'zombie' }]).catch((err: unknown) => err);
    expect(zombie).toBeInstanceOf(ProducerFencedError);
    expect(String(zombie)).toMatch(
      new RegExp(`another producer with the same transactional id "${id}" took over`),
    );
    expect(older.transactionState).toBe('fenced');
    await expect(older.commitTransaction()).rejects.toBeInstanceOf(ProducerFencedError);
    expect(await readWithKafkajs(target, topic, false, 1)).toEqual(['first']);
  }, 60_000);
}

function exactlyOnceJob(target: Target): void {
  /** Every value of a one-partition topic a read_committed fetch from offset 0 returns. */
  const committedValues = async (topic: string): Promise<string[]> => {
    const cluster = new Cluster({ brokers: brokersOf(target()), clientId: 'eos-reader' });
    try {
      const res = await fetchRecords(cluster, {
        partitions: [{ topic, partition: 0, offset: 0n, maxBytes: 1 << 20 }],
        maxBytes: 1 << 20,
        maxWaitMs: 0,
        minBytes: 0,
        isolationLevel: 1,
      });
      return (res.partitions[0]?.records ?? []).map((r) => r.value?.toString() ?? '');
    } finally {
      cluster.close();
    }
  };

  it('exactly-once job: a transform that throws once aborts a transaction, and each input still has one output', async () => {
    const input = uniqueName('eos-in');
    const output = uniqueName('eos-out');
    const admin = new Kafka({ brokers: brokersOf(target()), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [
          { topic: input, numPartitions: 2 },
          { topic: output, numPartitions: 1 },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    const inputs = Array.from({ length: 60 }, (_, i) => `v${i}`);
    const seed = new Producer({ brokers: brokersOf(target()), lingerMs: 0 });
    await seed.send(inputs.map((value, i) => ({ topic: input, key: `k${i % 7}`, value })));
    await seed.close();

    let thrown = false;
    let transformed = 0;
    const job = createExactlyOnceJob({
      brokers: brokersOf(target()),
      groupId: uniqueName('eos-group'),
      topics: [input],
      transactionalId: uniqueName('eos-job'),
      commitIntervalMs: 100,
      maxInFlight: 8,
      sessionTimeoutMs: 10_000,
      transform: (record) => {
        const value = record.value?.toString() ?? '';
        transformed++;
        // Once, well into the run: the open transaction holds other records' outputs by then.
        if (value === 'v41' && !thrown) {
          thrown = true;
          throw new Error('transform failed once');
        }
        return [{ topic: output, key: record.key, value: `${value}!` }];
      },
    });
    const aborts: unknown[] = [];
    job.on('abort', ({ error }) => aborts.push(error));
    await job.start();
    try {
      const committed = () => job.stats().partitions.reduce((sum, p) => sum + Number(p.committed ?? 0), 0);
      await until('the job to commit every input offset', () => committed() === inputs.length, 60_000);
    } finally {
      await job.stop();
    }
    expect(thrown).toBe(true);
    expect(aborts.map(String)).toEqual(['Error: transform failed once']);
    expect(job.stats().aborts).toBe(1);
    // The abort threw work away, which was done again: more transforms than inputs…
    expect(transformed).toBeGreaterThan(inputs.length);
    // …and still each input's output exactly once for read_committed readers. Kafka writes the last
    // commit's markers just after answering EndTxn, so wait for them to reach the output.
    let values: string[] = [];
    await until('every committed output', async () => {
      values = await committedValues(output);
      return values.length >= inputs.length;
    });
    expect([...values].sort()).toEqual(inputs.map((v) => `${v}!`).sort());
  }, 90_000);
}
