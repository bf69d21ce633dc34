/**
 * DeadLetters (src/consumer/dead-letters.ts) on a real log, written once and run against the embedded
 * broker (test/consumer/dead-letters.test.ts) and the three-broker Kafka cluster
 * (test/kafka/dead-letters.test.ts): summaries by reason, replay by reason then the rest, each record
 * exactly once (the replay group remembers a skipped record in between), and purge of the replayed prefix.
 */
import { expect, it } from 'vitest';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { Producer } from '../../src/client/producer.js';
import { deadLetterMessage } from '../../src/consumer/dead-letter.js';
import { DeadLetters, REPLAY_HEADER, replayGroupOf } from '../../src/consumer/dead-letters.js';
import type { Target } from '../helpers/targets.js';
import { clientFixture, until } from './common.js';

class Boom extends Error {
  override readonly name = 'Boom';
}

export function deadLettersSuite(target: Target): void {
  const fx = clientFixture(target, 'dead-letters-suite');

  /** Writes dead letters as the runtime does: `reasons[i]` is the error code of the record from source offset i. */
  async function deadLetter(source: string, dlq: string, reasons: string[]): Promise<void> {
    const producer = new Producer({ cluster: fx().cluster, lingerMs: 0, acks: -1 });
    for (const [i, code] of reasons.entries()) {
      const record = {
        topic: source,
        partition: 0,
        offset: BigInt(i),
        timestamp: 1_700_000_000_000 + i,
        key: Buffer.from(`k${i}`),
        value: Buffer.from(`v${i}`),
        headers: [{ key: 'trace', value: Buffer.from(`t${i}`) }],
      };
      const error = Object.assign(new Boom(`failed ${i}`), { code });
      const [d] = await producer.send([
        { topic: dlq, partition: 0, ...deadLetterMessage(record, { error, attempts: 3 }) },
      ]);
      expect(d.status).toBe('delivered');
    }
    await producer.close();
  }

  /** What the source topic holds: value and replay header per record. */
  async function sourceRecords(topic: string): Promise<{ value: string; of: string | null }[]> {
    const end = (await fx().admin.listOffsets(topic, 'latest'))[0].offset;
    const client = new ConsumerClient({ cluster: fx().cluster });
    client.assign([{ topic, partition: 0, offset: 0n }]);
    const out: { value: string; of: string | null }[] = [];
    await until(`${end} records read from ${topic}`, async () => {
      for (const fp of await client.poll({ maxBytes: 1 << 20, maxWaitMs: 100 }))
        for (const r of fp.records)
          out.push({
            value: r.value!.toString(),
            of: r.headers.find((h) => h.key === REPLAY_HEADER)?.value?.toString() ?? null,
          });
      return BigInt(out.length) >= end;
    });
    return out;
  }

  it('summarises by reason, replays by reason then the rest, each exactly once, and purges the replayed prefix', async () => {
    const { admin, name } = fx();
    const source = name('dl-source');
    const dlq = `${source}.dlq`;
    await admin.createTopics([
      { topic: source, numPartitions: 1 },
      { topic: dlq, numPartitions: 1 },
    ]);
    await deadLetter(source, dlq, ['poison', 'timeout', 'poison', 'poison']);
    const tools = new DeadLetters({ cluster: fx().newCluster('dead-letters-tools') });
    try {
      expect(await tools.topics()).toContain(dlq);
      const summary = await tools.summary(dlq);
      expect(summary).toMatchObject({ topic: dlq, count: 4, pending: 4, replayed: 0 });
      expect(summary.byReason).toEqual({
        poison: { count: 3, oldest: expect.any(Number), newest: expect.any(Number) },
        timeout: { count: 1, oldest: expect.any(Number), newest: expect.any(Number) },
      });
      const letters = await tools.read(dlq);
      expect(letters[1]).toMatchObject({
        reason: 'timeout',
        error: 'Boom: failed 1',
        attempts: 3,
        source: { topic: source, partition: 0, offset: 1n },
        replayed: false,
      });
      // The dead letter's own headers are the original ones only.
      expect(letters[1].headers.map((h) => h.key)).toEqual(['trace']);

      const poison = await tools.replay(dlq, { reason: 'poison' });
      expect(poison).toMatchObject({
        matched: 3,
        replayed: 3,
        alreadyReplayed: 0,
        toTopics: { [source]: 3 },
      });
      // Offset 1 was skipped: the group's committed offset stays at it, 2-3 are kept in the metadata.
      const [committed] = await admin.fetchOffsets(replayGroupOf(dlq), [{ topic: dlq, partitions: [0] }]);
      expect(committed).toMatchObject({ offset: 1n, metadata: 'replayed:2-3' });
      expect((await tools.replay(dlq, { reason: 'poison' })).replayed).toBe(0);

      const rest = await tools.replay(dlq, {});
      expect(rest).toMatchObject({ matched: 4, replayed: 1, alreadyReplayed: 3 });
      const [after] = await admin.fetchOffsets(replayGroupOf(dlq), [{ topic: dlq, partitions: [0] }]);
      expect(after).toMatchObject({ offset: 4n, metadata: 'replayed:' });

      const replayed = await sourceRecords(source);
      expect(replayed).toEqual([
        { value: 'v0', of: `${dlq}/0@0` },
        { value: 'v2', of: `${dlq}/0@2` },
        { value: 'v3', of: `${dlq}/0@3` },
        { value: 'v1', of: `${dlq}/0@1` },
      ]);

      const purged = await tools.replay(dlq, { from: 0n, to: 3n }, { purge: true });
      expect(purged).toMatchObject({ replayed: 0, purged: [{ partition: 0, lowWatermark: 4n }] });
      expect(await tools.summary(dlq)).toMatchObject({ count: 0, pending: 0 });
      // Nothing was sent twice.
      expect(await sourceRecords(source)).toHaveLength(4);
    } finally {
      tools.close();
    }
  });
}
