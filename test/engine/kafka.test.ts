import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { Producer } from '../../src/client/producer.js';
import { Job } from '../../src/engine/job.js';
import { kafkaSink, kafkaSource } from '../../src/engine/kafka/io.js';
import { EngineProcess } from '../../src/engine/kafka/process.js';
import type { Strategy } from '../../src/engine/types.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { until } from '../suites/common.js';

// The engine's Kafka source and sink in one process on the embedded broker: offsets follow the sinks,
// and a rebalance drains the revoked partitions' in-flight records. The two-process fraud job is in
// test/suites/engine-kafka.ts.

let broker: TestBroker;
let cluster: Cluster;
let admin: Admin;
let seq = 0;

beforeAll(async () => {
  broker = await startTestBroker({ durability: 'memory', groups: { minSessionTimeoutMs: 1000 } });
  cluster = new Cluster({ brokers: [broker.bootstrap], clientId: 'engine-kafka-test' });
  admin = new Admin({ cluster });
  await admin.connect();
});

afterAll(async () => {
  cluster.close();
  await broker.stop();
});

async function topicWith(records: number, partitions = 4): Promise<{ input: string; output: string }> {
  const input = `in-${seq}`;
  const output = `out-${seq++}`;
  await admin.createTopics([
    { topic: input, numPartitions: partitions },
    { topic: output, numPartitions: 1 },
  ]);
  const producer = new Producer({ cluster, lingerMs: 2 });
  await producer.send(
    Array.from({ length: records }, (_, i) => ({ topic: input, key: `k${i}`, value: String(i) })),
  );
  await producer.close();
  return { input, output };
}

/** source -> double -> sink(write); `write` decides when a result counts as written. */
function passThrough(
  input: string,
  group: string,
  write: (n: number) => Promise<void> | void,
  strategy: Strategy = 'propagate',
) {
  const job = new Job('pass');
  const src = job.source(
    'in',
    kafkaSource<number>({
      brokers: [broker.bootstrap],
      groupId: group,
      topics: [input],
      sessionTimeoutMs: 3000,
      heartbeatIntervalMs: 300,
      decode: (r) => Number(String(r.value)),
    }),
  );
  const op = job.operator<number, number>('double', { process: (n, out) => out.emit(n * 2) });
  const sink = job.sink<number>('out', { write, concurrency: 16 });
  job.connect(src, op).connect(op, sink);
  return EngineProcess.start({ graph: job.build(), run: { strategy }, metricsPort: 0 });
}

async function committedTotal(group: string, topic: string): Promise<bigint> {
  const offsets = await admin.fetchOffsets(group, [{ topic, partitions: [0, 1, 2, 3] }]);
  return offsets.reduce((s, o) => s + (o.offset > 0n ? o.offset : 0n), 0n);
}

describe('engine Kafka source: offsets after the output', () => {
  it('commits nothing while the sink holds the results, everything once it acknowledged them', async () => {
    const { input } = await topicWith(200);
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const proc = await passThrough(input, 'gated', () => gate);
    try {
      await until('records read', () => proc.sourceStats()[0]?.read > 0);
      // Several commit intervals pass while the sink holds every result.
      await new Promise((r) => setTimeout(r, 2500));
      expect(proc.sourceStats()[0].commits).toBe(0);
      expect(await committedTotal('gated', input)).toBe(0n);
      // The held records are visible: read by the source, not yet handled, on /metrics.
      const metrics = await (await fetch(`${proc.address}/metrics`)).text();
      expect(metrics).toMatch(/sluice_engine_source_handled\{job="pass",instance="in#0"\} 0\b/);
      expect(metrics).toMatch(/sluice_engine_source_partitions\{job="pass",instance="in#0"\} 4\b/);
      expect(metrics).toMatch(
        /sluice_engine_busy_ms_per_second\{job="pass",instance="out#0",component="out"\}/,
      );
      open();
      await until('every offset committed', async () => (await committedTotal('gated', input)) === 200n);
    } finally {
      open(); // a draining stop waits for the sink
      await proc.stop();
    }
  });

  it('hands partitions to a second process without losing a record, draining what was in flight', async () => {
    const { input, output } = await topicWith(3000);
    const job = (group: string) => {
      const j = new Job('pass-kafka');
      const src = j.source(
        'in',
        kafkaSource<string>({
          brokers: [broker.bootstrap],
          groupId: group,
          topics: [input],
          sessionTimeoutMs: 3000,
          heartbeatIntervalMs: 300,
          maxBytes: 4096,
          decode: (r) => String(r.value),
        }),
      );
      const op = j.operator<string, string>('slow', { cost: 1, process: (v, out) => out.emit(v) });
      const sink = j.sink(
        'out',
        kafkaSink<string>({ brokers: [broker.bootstrap], topic: output, encode: (value) => ({ value }) }),
      );
      j.connect(src, op).connect(op, sink);
      return j.build();
    };
    // Small queues: what is in flight at the handover drains well within the drain timeout.
    const run = { queue: { capacity: 50 } };
    const a = await EngineProcess.start({ graph: job('handover'), run });
    await until('the first process working', () => (a.sourceStats()[0]?.handled ?? 0) > 200);
    const b = await EngineProcess.start({ graph: job('handover'), run });
    try {
      await until('both processes own partitions', () =>
        [a, b].every((p) => (p.sourceStats()[0]?.partitions.length ?? 0) > 0),
      );
      await until(
        'everything committed',
        async () => (await committedTotal('handover', input)) === 3000n,
        30_000,
      );
      const revoked = a.sourceStats()[0];
      expect(revoked.rebalances).toBeGreaterThanOrEqual(2);
      // The revoked partitions' in-flight records finished before the handover: nothing abandoned.
      expect(revoked.abandoned).toBe(0);
      const client = new ConsumerClient({ cluster });
      client.assign([{ topic: output, partition: 0, offset: 0n }]);
      const seen = new Set<string>();
      for (;;) {
        const got = (await client.poll({ maxBytes: 1 << 22, maxWaitMs: 50 })).flatMap((f) => f.records);
        if (got.length === 0) break;
        for (const r of got) seen.add(String(r.value));
      }
      expect(seen.size).toBe(3000);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
