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

  it('writes commits to __consumer_offsets as CRC-valid batches of Kafka records, compacts, and replays after a restart', async () => {
    broker = await startTestBroker({ dataDir, groups: { offsetsCompactionMinRecords: 50 } });
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

    for (let i = 1; i <= 300; i++) await commit(broker, i % 2, i);
    // Compaction moved the log start past the superseded commits.
    await new Promise((r) => setTimeout(r, 50));
    expect(log.logStartOffset).toBeGreaterThan(200n);

    await broker.stop();
    broker = await startTestBroker({ dataDir });
    const fetched = broker.broker.groups.fetchOffsets({
      groupId: 'g',
      topics: [{ name: 't', partitionIndexes: [0, 1] }],
    });
    expect(fetched.topics[0].partitions.map((p) => p.committedOffset)).toEqual([300, 299]);
  });
});
