import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OFFSETS_TOPIC } from '../../../src/broker/groups/broker-groups.js';
import {
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
} from '../../../src/broker/groups/offsets-topic-format.js';
import { decodeRecords, iterateBatches, verifyBatchCrc } from '../../../src/protocol/record-batch.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

describe('group coordinator inside the broker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-broker-groups-'));
  let broker: TestBroker | undefined;

  afterAll(async () => {
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const commit = (b: TestBroker, partition: number, offset: number) =>
    b.broker.groups.commitOffsets({
      groupId: 'g',
      generationId: -1,
      memberId: '',
      topics: [{ name: 't', partitions: [{ partitionIndex: partition, committedOffset: offset }] }],
    });

  it('writes commits to __consumer_offsets as CRC-valid batches of Kafka records, is compacted by storage, and replays after a restart', async () => {
    broker = await startTestBroker({ dataDir, groups: { offsetsTopicSegmentBytes: 2048 } });
    await broker.broker.store.createTopic('t', 2, {});
    const log = broker.broker.store.partition(OFFSETS_TOPIC, 0)!;
    expect(broker.broker.isInternalTopic(OFFSETS_TOPIC)).toBe(true);

    const r = await commit(broker, 0, 7);
    expect(r.topics[0].partitions[0].errorCode).toBe(0);
    const { records } = log.read(0n, 1 << 20);
    const batches = [...iterateBatches(records)];
    expect(batches).toHaveLength(1);
    expect(verifyBatchCrc(batches[0].buf)).toBe(true);
    const [record] = await decodeRecords(batches[0].buf);
    expect(decodeOffsetsTopicKey(record.key!)).toEqual({
      kind: 'offset',
      group: 'g',
      topic: 't',
      partition: 0,
    });
    expect(decodeOffsetCommitValue(record.value!)).toMatchObject({ offset: 7 });

    // Unknown partitions are refused without touching the log.
    const refused = await commit(broker, 5, 1);
    expect(refused.topics[0].partitions[0].errorCode).toBe(3);

    const storageLog = broker.broker.logManager.requireLog(OFFSETS_TOPIC, 0);
    expect(storageLog.getConfig()).toMatchObject({ cleanupPolicy: 'compact', segmentBytes: 2048 });
    for (let i = 1; i <= 300; i++) await commit(broker, i % 2, i);
    expect(storageLog.segmentCount).toBeGreaterThan(3);
    const sizeBefore = storageLog.size;
    const compacted = await storageLog.compact();
    expect(compacted.recordsRemoved).toBeGreaterThan(250);
    expect(storageLog.size).toBeLessThan(sizeBefore / 3);
    // Kafka's compaction: the log start never moves, so a reader from offset 0 cannot fall off it.
    expect(log.logStartOffset).toBe(0n);
    const live = new Map<string, number>();
    let at = 0n;
    while (at < log.highWatermark) {
      const r = log.read(at, 1 << 20);
      expect(r.errorCode).toBe(0);
      for (const { buf, header } of iterateBatches(r.records)) {
        for (const rec of await decodeRecords(buf)) {
          const key = decodeOffsetsTopicKey(rec.key!);
          if (key.kind === 'offset' && rec.offset >= at)
            live.set(`${key.topic}-${key.partition}`, decodeOffsetCommitValue(rec.value!).offset);
        }
        at = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
      }
    }
    expect(live).toEqual(
      new Map([
        ['t-0', 300],
        ['t-1', 299],
      ]),
    );

    await broker.stop();
    broker = await startTestBroker({ dataDir });
    const fetched = broker.broker.groups.fetchOffsets({
      groupId: 'g',
      topics: [{ name: 't', partitionIndexes: [0, 1] }],
    });
    expect(fetched.topics[0].partitions.map((p) => p.committedOffset)).toEqual([300, 299]);
  });
});
