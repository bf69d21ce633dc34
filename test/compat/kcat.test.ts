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

  it('retries what a reject-mode quota refuses until all is stored, and fails a batch over the burst for good (the module’s step 4)', async () => {
    const limited = await startTestBroker({
      durability: 'memory',
      quotas: { mode: 'reject', recordsPerSecond: 100 },
    });
    try {
      const produce = (topic: string, count: number, batch: number) =>
        run(
          'kcat',
          [
            '-b',
            limited.bootstrap,
            '-X',
            'broker.address.family=v4',
            '-P',
            '-t',
            topic,
            '-p',
            '0',
            '-X',
            `batch.num.messages=${batch}`,
            '-X',
            'linger.ms=50',
            '-X',
            'message.timeout.ms=20000',
            '-X',
            'debug=msg',
          ],
          {
            input: `${Array.from({ length: count }, (_, i) => `event-${i}`).join('\n')}\n`,
            allowFailure: true,
            timeoutMs: 30_000,
          },
        );
      // 300 events at 100/s: refused batches (REQUEST_TIMED_OUT) are retried by librdkafka until stored.
      const res = await produce('shard', 300, 10);
      expect(res.stderr).not.toMatch(/Delivery failed/);
      // With debug=msg librdkafka shows the refusal and what it does about it.
      expect(res.stderr).toMatch(/encountered error: Broker: Request timed out \(actions Retry/);
      expect(Number(limited.broker.store.partition('shard', 0)!.highWatermark)).toBe(300);
      expect((await limited.broker.metrics.produceRejected.get()).values[0].value).toBeGreaterThan(0);
      // One batch of 500 into a 100/s bucket can never fit: a permanent failure, nothing stored.
      const burst = await produce('burst', 500, 1000);
      const failures = burst.stderr.split('\n').filter((l) => l.includes('Delivery failed'));
      expect(failures).toHaveLength(500);
      expect(
        failures.every((l) => /Broker: Message batch larger than configured server segment size/.test(l)),
      ).toBe(true);
      expect(limited.broker.store.partition('burst', 0)?.highWatermark ?? 0n).toBe(0n);
    } finally {
      await limited.stop();
    }
  });

  it('delivers everything under a throttle-mode quota, with the broker reporting throttle time', async () => {
    const limited = await startTestBroker({
      durability: 'memory',
      quotas: { mode: 'throttle', recordsPerSecond: 200 },
    });
    try {
      const input = `${Array.from({ length: 300 }, (_, i) => `event-${i}`).join('\n')}\n`;
      await run(
        'kcat',
        [
          '-b',
          limited.bootstrap,
          '-X',
          'broker.address.family=v4',
          '-P',
          '-t',
          'kafka-way',
          '-p',
          '0',
          '-X',
          'batch.num.messages=50',
        ],
        {
          input,
          timeoutMs: 20_000,
        },
      );
      expect(limited.broker.store.partition('kafka-way', 0)!.highWatermark).toBe(300n);
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
