import { afterAll, beforeAll, expect, it } from 'vitest';
import { codecId, startTestBroker, storedCodecs, type TestBroker } from '../helpers/broker.js';
import { kcatConsume, kcat as kcatRun } from '../helpers/kcat.js';
import { killChildren, run } from '../helpers/run.js';
import { describeWithTools, tools } from '../helpers/tools.js';

describeWithTools('kcat (librdkafka 2.0.2) against the broker', [tools.kcat()], () => {
  let b: TestBroker;
  const kcat = (args: string[], input?: string) => kcatRun(b.bootstrap, args, input);
  const consume = (topic: string, partition: number) => kcatConsume(b.bootstrap, topic, partition);

  beforeAll(async () => {
    b = await startTestBroker({ defaultPartitions: 1 });
    await b.broker.store.createTopic('three', 3, {});
  });
  afterAll(async () => {
    killChildren();
    await b?.stop();
  });

  it('lists brokers and topics (-L -J) with the advertised host:port and node 0 as controller', async () => {
    const { stdout } = await kcat(['-L', '-J']);
    const meta = JSON.parse(stdout);
    expect(meta.controllerid).toBe(0);
    expect(meta.brokers).toEqual([{ id: 0, name: b.bootstrap }]);
    const three = meta.topics.find((t: { topic: string }) => t.topic === 'three');
    expect(
      three.partitions.map((p: { partition: number; leader: number }) => [p.partition, p.leader]),
    ).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    const plain = await kcat(['-L', '-t', 'three']);
    expect(plain.stdout).toMatch(/topic "three" with 3 partitions/);
  });

  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
    it(`produces and consumes with -z ${codec}: keys, values, headers, timestamps and offsets survive`, async () => {
      const topic = `kcat-${codec}`;
      const lines = Array.from(
        { length: 20 },
        (_, i) => `key-${i}:value ${i} ${codec} ${'x'.repeat(i * 10)}`,
      );
      const before = Date.now();
      await kcat(
        ['-P', '-t', topic, '-p', '0', '-K:', '-z', codec, '-H', `codec=${codec}`, '-H', 'trace=abc'],
        `${lines.join('\n')}\n`,
      );
      const after = Date.now();
      const got = await consume(topic, 0);
      expect(got).toHaveLength(20);
      got.forEach((m, i) => {
        expect(m.offset).toBe(i);
        expect(m.key).toBe(`key-${i}`);
        expect(m.payload).toBe(lines[i].slice(lines[i].indexOf(':') + 1));
        expect(m.headers).toEqual(['codec', codec, 'trace', 'abc']);
        expect(m.tstype).toBe('create');
        expect(m.ts).toBeGreaterThanOrEqual(before - 5);
        expect(m.ts).toBeLessThanOrEqual(after + 5);
      });
      // The broker stored what librdkafka sent: batches compressed with the codec asked for.
      // librdkafka 2.0.2 gates codecs on the broker's version table: gzip, snappy and lz4 need Produce
      // v0 in range, lz4 also FindCoordinator v0, zstd Produce v7. When a gate fails it silently sends
      // uncompressed batches, so check the codec is among the stored batches' codecs.
      expect(b.broker.registry.supports(10, 0)).toBe(true);
      const codecs = storedCodecs(b.broker, topic, 0);
      expect(codecs).toContain(codecId(codec));
    });
  }

  it('queries offsets (-Q) by time, and latest (-1) / earliest (-2)', async () => {
    const topic = 'kcat-times';
    // Three separate producer runs give three batches with increasing timestamps.
    for (const v of ['a', 'b', 'c']) {
      await kcat(['-P', '-t', topic, '-p', '0'], `${v}\n`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const msgs = await consume(topic, 0);
    expect(msgs.map((m) => m.payload)).toEqual(['a', 'b', 'c']);
    const query = async (ts: number) => {
      const { stdout } = await kcat(['-Q', '-t', `${topic}:0:${ts}`]);
      const m = /\[0\]\s+offset\s+(-?\d+)/.exec(stdout);
      if (!m) throw new Error(`unexpected kcat -Q output: ${stdout}`);
      return Number(m[1]);
    };
    for (const target of msgs) {
      const expected = msgs.find((m) => m.ts >= target.ts)!.offset;
      expect(await query(target.ts)).toBe(expected);
    }
    expect(await query(-1)).toBe(3);
    expect(await query(-2)).toBe(0);
    expect(await query(msgs[2].ts + 60_000)).toBe(-1);
  });

  it('produces to every partition of a multi-partition topic and reads each back', async () => {
    for (const p of [0, 1, 2]) {
      await kcat(['-P', '-t', 'three', '-p', String(p), '-K:'], `k${p}:in partition ${p}\n`);
    }
    for (const p of [0, 1, 2]) {
      const got = await consume('three', p);
      expect(got.map((m) => [m.partition, m.offset, m.key, m.payload])).toEqual([
        [p, 0, `k${p}`, `in partition ${p}`],
      ]);
    }
  });

  /** A broker of its own whose produce quota is `recordsPerSecond` on every partition, in `mode`. */
  const quotaBroker = (mode: 'reject' | 'throttle', recordsPerSecond: number) =>
    startTestBroker({ durability: 'memory', quotas: { mode, recordsPerSecond } });

  /**
   * kcat produces `count` lines `event-<i>` to partition 0 of `topic` with the librdkafka `settings`
   * (`name=value`); resolves with kcat's output (a failed delivery does not throw) and the records the
   * partition then holds.
   */
  const produceEvents = async (limited: TestBroker, topic: string, count: number, settings: string[]) => {
    const input = `${Array.from({ length: count }, (_, i) => `event-${i}`).join('\n')}\n`;
    const res = await run(
      'kcat',
      [
        ...['-b', limited.bootstrap, '-X', 'broker.address.family=v4', '-P', '-t', topic, '-p', '0'],
        ...settings.flatMap((setting) => ['-X', setting]),
      ],
      { input, allowFailure: true, timeoutMs: 30_000 },
    );
    return { ...res, stored: limited.broker.store.partition(topic, 0)?.highWatermark ?? 0n };
  };

  it('retries what a reject-mode quota refuses until all is stored, and fails a batch over the burst for good (the module’s step 4)', async () => {
    const limited = await quotaBroker('reject', 100);
    try {
      const settings = (batch: number) => [
        `batch.num.messages=${batch}`,
        'linger.ms=50',
        'message.timeout.ms=20000',
        'debug=msg',
      ];
      // 300 events at 100/s: refused batches (REQUEST_TIMED_OUT) are retried by librdkafka until stored.
      const res = await produceEvents(limited, 'shard', 300, settings(10));
      expect(res.stderr).not.toMatch(/Delivery failed/);
      // With debug=msg librdkafka shows the refusal and what it does about it.
      expect(res.stderr).toMatch(/encountered error: Broker: Request timed out \(actions Retry/);
      expect(res.stored).toBe(300n);
      expect((await limited.broker.metrics.produceRejected.get()).values[0].value).toBeGreaterThan(0);
      // One batch of 500 into a 100/s bucket can never fit: a permanent failure, nothing stored.
      const burst = await produceEvents(limited, 'burst', 500, settings(1000));
      const failures = burst.stderr.split('\n').filter((l) => l.includes('Delivery failed'));
      expect(failures).toHaveLength(500);
      expect(
        failures.every((l) => /Broker: Message batch larger than configured server segment size/.test(l)),
      ).toBe(true);
      expect(burst.stored).toBe(0n);
    } finally {
      await limited.stop();
    }
  });

  it('delivers everything under a throttle-mode quota, with the broker reporting throttle time', async () => {
    const limited = await quotaBroker('throttle', 200);
    try {
      const res = await produceEvents(limited, 'kafka-way', 300, ['batch.num.messages=50']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stored).toBe(300n);
      expect((await limited.broker.metrics.produceThrottleMs.get()).values[0].value).toBeGreaterThan(0);
    } finally {
      await limited.stop();
    }
  });

  it('produces with enable.idempotence=true (InitProducerId, sequence numbers) exactly once', async () => {
    const topic = 'kcat-idempotent';
    const input = `${Array.from({ length: 500 }, (_, i) => `idem-${i}`).join('\n')}\n`;
    await kcat(
      ['-P', '-t', topic, '-p', '0', '-X', 'enable.idempotence=true', '-X', 'batch.num.messages=50'],
      input,
    );
    const got = await consume(topic, 0);
    expect(got.map((m) => [m.offset, m.payload])).toEqual(
      Array.from({ length: 500 }, (_, i) => [i, `idem-${i}`]),
    );
    // The batches carry the producer id the broker handed out.
    const bytes = b.broker.store.partition(topic, 0)!.read(0n, 1 << 20).records;
    expect(bytes.readBigInt64BE(43)).toBeGreaterThan(0n);
  });
});
