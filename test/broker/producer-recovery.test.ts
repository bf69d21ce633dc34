/**
 * Idempotent producer state after a restart: a producer that retries a batch the previous broker
 * process had written (but whose response it never got) must get the original offset back, not a
 * second copy. Found by the crash suite: before this, a kill -9 under librdkafka with
 * enable.idempotence=true left 50 duplicated records in a 200,000-record run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/errors.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { WireClient } from '../helpers/wire-client.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-producer-recovery-'));
const open: Array<TestBroker | WireClient> = [];
afterAll(async () => {
  for (const o of open.splice(0)) await (o instanceof WireClient ? o.close() : o.stop());
  rmSync(dataDir, { recursive: true, force: true });
});

const idem = (values: string[], producerId: bigint, producerEpoch: number, baseSequence: number) =>
  buildRecordBatch({
    records: values.map((v) => ({ value: v, timestamp: 1 })),
    producerId,
    producerEpoch,
    baseSequence,
  });

async function connect() {
  const b = await startTestBroker({ dataDir, durability: 'sync' });
  const c = await WireClient.open(b.port);
  open.push(c, b);
  const send = async (records: Buffer) =>
    (
      await c.request(0, 7, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'idem', partitionData: [{ index: 0, records }] }],
      })
    ).responses[0].partitionResponses[0];
  return { b, c, send };
}

describe('idempotent producer state across a broker restart', () => {
  it('answers a retry of a batch written before the restart with its original offset', async () => {
    const first = await connect();
    const pid = (await first.c.request(22, 1, { transactionalId: null, transactionTimeoutMs: 60_000 }))
      .producerId;
    const other = pid + 1_000_000n;
    expect(await first.send(await idem(['a', 'b'], pid, 0, 0))).toMatchObject({
      errorCode: 0,
      baseOffset: 0n,
    });
    expect(await first.send(await idem(['c', 'd', 'e'], pid, 0, 2))).toMatchObject({
      errorCode: 0,
      baseOffset: 2n,
    });
    expect(await first.send(await idem(['x'], other, 3, 0))).toMatchObject({ errorCode: 0, baseOffset: 5n });
    // Not idempotent: must not confuse the rebuilt state.
    expect(
      await first.send(await buildRecordBatch({ records: [{ value: 'plain', timestamp: 1 }] })),
    ).toMatchObject({ errorCode: 0, baseOffset: 6n });
    first.c.close();
    await first.b.stop();

    const second = await connect();
    // Retries of the producer's last batches: original offsets, nothing written.
    expect(await second.send(await idem(['c', 'd', 'e'], pid, 0, 2))).toMatchObject({
      errorCode: 0,
      baseOffset: 2n,
    });
    expect(await second.send(await idem(['a', 'b'], pid, 0, 0))).toMatchObject({
      errorCode: 0,
      baseOffset: 0n,
    });
    expect(await second.send(await idem(['x'], other, 3, 0))).toMatchObject({ errorCode: 0, baseOffset: 5n });
    expect(second.b.broker.store.partition('idem', 0)!.highWatermark).toBe(7n);
    // The sequence continues where the log left it; a gap and a stale epoch are still refused.
    expect(await second.send(await idem(['f'], pid, 0, 5))).toMatchObject({ errorCode: 0, baseOffset: 7n });
    expect((await second.send(await idem(['gap'], pid, 0, 9))).errorCode).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    expect((await second.send(await idem(['old'], other, 2, 1))).errorCode).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    expect(second.b.broker.store.partition('idem', 0)!.highWatermark).toBe(8n);
  });
});
