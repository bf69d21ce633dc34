import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import {
  type BurrowGroupStatus,
  type BurrowPartition,
  burrowTools,
  type RunningBurrow,
  type RunningZookeeper,
  startBurrow,
  startZookeeper,
  waitFor,
} from '../helpers/burrow.js';
import { describeWithTools } from '../helpers/tools.js';

const TOPIC = 'lagged';
const GROUP = 'watched';

describeWithTools('Burrow 1.2.1 reads consumer lag from the Sluice broker', burrowTools(), () => {
  let broker: TestBroker | undefined;
  let consumer: Consumer | undefined;
  let compactedBroker: TestBroker | undefined;
  let zookeeper: RunningZookeeper | undefined;
  const burrows: RunningBurrow[] = [];
  const burrowLog = () => burrows.map((b) => b.log()).join('\n');

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    // Burrow's connections must be gone before the broker drains, or the drain waits on them.
    await Promise.all(burrows.map((b) => b.stop()));
    await zookeeper?.stop();
    await broker?.stop();
    await compactedBroker?.stop();
  });

  /** A Burrow on `bootstrap`; the cases share one private ZooKeeper (Burrow 1.2.1 will not start without one). */
  async function burrowOn(bootstrap: string) {
    zookeeper ??= await startZookeeper();
    const burrow = await startBurrow({
      bootstrap,
      zookeeper,
      intervals: 5,
      minDistance: 0,
      offsetRefresh: 1,
      logLevel: 'info',
      keepLog: Number.POSITIVE_INFINITY,
    });
    burrows.push(burrow);
    return burrow.get;
  }

  const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000) =>
    waitFor(what, probe, ms, () => `--- Burrow log (tail)\n${burrowLog()}`);

  it('reports the group partitions, committed offsets, lag and status, agreeing with the broker', async () => {
    broker = await startTestBroker({ groups: { minSessionTimeoutMs: 1000 } });
    const kafka = new Kafka({
      brokers: [broker.bootstrap],
      clientId: 'lag-watcher',
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 2, value: `v${i}` })),
    });
    await producer.disconnect();
    await admin.disconnect();

    const burrow = await burrowOn(broker.bootstrap);
    // Burrow drops commits for partitions whose head offset it has not fetched yet: wait for the topic.
    await until('Burrow to know the topic head offsets', async () => {
      const r = await burrow(`/v3/kafka/local/topic/${TOPIC}`);
      return (r.body.offsets as number[] | undefined)?.length === 2 ? true : undefined;
    });

    // A real group member commits a few times, its lag shrinking each time.
    consumer = kafka.consumer({
      groupId: GROUP,
      sessionTimeout: 6000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 200,
    });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    await until('the consumer to join', async () => (joined ? true : undefined));
    consumer.pause([{ topic: TOPIC }]);
    // Burrow rates a partition STOP once the time since its last commit exceeds the span of its
    // commit window (5 commits here), so the commits are spread over seconds, not milliseconds.
    const steps = [2, 4, 6, 8, 10, 12, 14, 16];
    for (const step of steps) {
      await consumer.commitOffsets([
        { topic: TOPIC, partition: 0, offset: String(step) },
        { topic: TOPIC, partition: 1, offset: String(step + 5) },
      ]);
      if (step !== steps.at(-1)) await new Promise((r) => setTimeout(r, 600));
    }

    const lag = await until(
      "Burrow's view of the last commits",
      async () => {
        const r = await burrow(`/v3/kafka/local/consumer/${GROUP}/lag`);
        const status = r.body.status as { partitions: BurrowPartition[] } | undefined;
        const parts = status?.partitions ?? [];
        const end = (p: number) => parts.find((x) => x.partition === p)?.end?.offset;
        const done = parts.length === 2 && end(0) === 16 && end(1) === 21;
        return done ? (r.body.status as BurrowGroupStatus) : undefined;
      },
      30_000,
    );

    // The broker's own figures: high watermarks and committed offsets.
    const hwm = [0, 1].map((p) => Number(broker!.broker.store.partition(TOPIC, p)!.highWatermark));
    const committed = broker.broker.groups
      .fetchOffsets({ groupId: GROUP, topics: [{ name: TOPIC, partitionIndexes: [0, 1] }] })
      .topics[0].partitions.map((p) => p.committedOffset);
    expect(hwm).toEqual([30, 30]);
    expect(committed).toEqual([16, 21]);
    const topic = await burrow(`/v3/kafka/local/topic/${TOPIC}`);
    expect(topic.body.offsets).toEqual(hwm);
    const byPartition = [...lag.partitions].sort((a, b) => a.partition - b.partition);
    expect(byPartition.map((p) => p.end?.offset)).toEqual(committed);
    expect(byPartition.map((p) => p.current_lag)).toEqual([hwm[0] - committed[0], hwm[1] - committed[1]]);
    expect(lag.totallag).toBe(hwm[0] - committed[0] + hwm[1] - committed[1]);
    // Lag fell between commits, so the evaluator rates every partition and the group OK.
    expect(byPartition.map((p) => p.status)).toEqual(['OK', 'OK']);
    expect(lag.status).toBe('OK');
    // Ownership comes from the group metadata record (value v1) the coordinator wrote.
    // (Burrow 1.2.1 fills only the owner from it; its client_id stays empty.)
    expect(byPartition.map((p) => p.owner)).toEqual(['/127.0.0.1', '/127.0.0.1']);

    const unknown = await burrow('/v3/kafka/local/consumer/nobody/lag');
    expect(unknown.status).toBe(404);
  }, 60_000);
  it('starts after __consumer_offsets was compacted and still reports the group from its surviving records', async () => {
    compactedBroker = await startTestBroker({ groups: { offsetsTopicSegmentBytes: 1024 } });
    const kafka = new Kafka({
      brokers: [compactedBroker.bootstrap],
      clientId: 'w',
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await compactedBroker.broker.store.createTopic(TOPIC, 2, {});
    await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 2, value: `v${i}` })),
    });
    await producer.disconnect();
    const groups = compactedBroker.broker.groups;
    for (let i = 1; i <= 40; i++) {
      const r = await groups.commitOffsets({
        groupId: 'compacted',
        generationId: -1,
        memberId: '',
        topics: [
          {
            name: TOPIC,
            partitions: [
              { partitionIndex: 0, committedOffset: Math.min(i, 20) },
              { partitionIndex: 1, committedOffset: Math.min(i, 25) },
            ],
          },
        ],
      });
      expect(r.topics[0].partitions.map((p) => p.errorCode)).toEqual([0, 0]);
    }
    const log = compactedBroker.broker.logManager.requireLog('__consumer_offsets', 0);
    const result = await log.compact();
    expect(result.recordsRemoved).toBeGreaterThan(40);
    expect(log.logStartOffset).toBe(0n);

    const burrow = await burrowOn(compactedBroker.bootstrap);
    const lag = await until(
      'Burrow to report the group from the compacted topic',
      async () => {
        const r = await burrow('/v3/kafka/local/consumer/compacted/lag');
        const parts = (r.body.status as { partitions?: BurrowPartition[] } | undefined)?.partitions ?? [];
        const end = (p: number) => parts.find((x) => x.partition === p)?.end?.offset;
        return parts.length === 2 && end(0) === 20 && end(1) === 25 ? parts : undefined;
      },
      30_000,
    );
    expect(lag.map((p) => p.current_lag).sort((a, b) => a - b)).toEqual([5, 10]);
    expect(burrowLog()).not.toMatch(/panic|OFFSET_OUT_OF_RANGE|offset out of range/i);
  }, 60_000);
});
