import { fileURLToPath } from 'node:url';
import { Kafka, type Producer as KafkaJsProducer, logLevel } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { kafkaCli } from '../helpers/kafka.js';
import { killChildren, run } from '../helpers/run.js';
import type { Target } from '../helpers/targets.js';
import { uniqueName } from '../helpers/targets.js';
import { describeWithTools, pythonRuntimes } from '../helpers/tools.js';
import { until } from './common.js';

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
  transactionTools(target);
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
  const readAll = async (topic: string, readUncommitted: boolean, expected: number): Promise<string[]> => {
    const consumer = kafka().consumer({
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
  };

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
