import { afterEach, describe, expect, it } from 'vitest';
import { ReadBufferPool } from '../../src/broker/storage/read-buffers.js';
import { decodeResponse } from '../../src/protocol/messages.js';
import { buildRecordBatch, decodeRecords, splitBatches } from '../../src/protocol/record-batch.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { WireClient } from '../helpers/wire-client.js';

const brokers: TestBroker[] = [];
const clients: WireClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const b of brokers.splice(0)) await b.stop();
});

const MiB = 1024 * 1024;
/** Larger than loopback's socket buffers, so the response stays partly unsent while the client waits. */
const FETCH_BYTES = 16 * MiB;

const fetchBody = (topic: string, maxBytes: number) => ({
  replicaId: -1,
  maxWaitMs: 0,
  minBytes: 1,
  maxBytes,
  isolationLevel: 0,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [
    {
      topic,
      partitions: [
        {
          partition: 0,
          currentLeaderEpoch: -1,
          fetchOffset: 0n,
          logStartOffset: -1n,
          partitionMaxBytes: maxBytes,
        },
      ],
    },
  ],
  forgottenTopicsData: [],
  rackId: '',
});

/** Fills `topic` with `bytes` of records whose values are all `fill`. */
async function fill(c: WireClient, topic: string, fillByte: string, bytes: number): Promise<void> {
  const value = Buffer.alloc(8 * 1024, fillByte);
  const batch = await buildRecordBatch({ records: Array.from({ length: 64 }, () => ({ key: null, value })) });
  for (let written = 0; written < bytes; written += batch.length) {
    const res = await c.request(0, 7, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
    });
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(0);
  }
}

describe('ReadBufferPool', () => {
  it('hands a returned buffer out again for the same size class, and plain buffers below the pooled sizes', () => {
    const pool = new ReadBufferPool();
    const lease = pool.lease();
    const a = lease.alloc(MiB - 5);
    expect(a.length).toBe(MiB);
    expect(lease.alloc(100).length).toBe(100);
    lease.release();
    const again = pool.lease().alloc(MiB);
    expect(again.buffer).toBe(a.buffer);
    expect(pool.stats).toEqual({ reused: 1, allocated: 1 });
  });
});

describe('Fetch from pooled read buffers', () => {
  it('does not reuse a response’s buffers while its bytes are still waiting for a slow client', async () => {
    const b = await startTestBroker({ durability: 'async' });
    brokers.push(b);
    const writer = await WireClient.open(b.port);
    clients.push(writer);
    await fill(writer, 'slow', 'a', FETCH_BYTES);
    await fill(writer, 'busy', 'b', FETCH_BYTES);

    // The slow client asks for 16 MiB and reads nothing yet: most of the response waits in the broker.
    const slow = await WireClient.open(b.port);
    clients.push(slow);
    slow.raw.socket.pause();
    const request = slow.frame(1, 11, fetchBody('slow', FETCH_BYTES));
    await slow.send(request.bytes);
    // Meanwhile other fetches of the same size borrow and return pool buffers.
    const busy = await WireClient.open(b.port);
    clients.push(busy);
    for (let i = 0; i < 4; i++) {
      const res = await busy.request(1, 11, fetchBody('busy', FETCH_BYTES));
      expect(res.responses[0].partitions[0].records?.length).toBeGreaterThan(FETCH_BYTES / 2);
    }
    expect(b.broker.readBuffers.stats.reused).toBeGreaterThan(0);

    slow.raw.socket.resume();
    const [frame] = await slow.raw.waitForFrames(1, 20_000);
    const records = decodeResponse(1, 11, frame).body.responses[0].partitions[0].records!;
    expect(records.length).toBeGreaterThan(FETCH_BYTES / 2);
    // Every batch intact (CRC-32C) and every value the slow topic's own: nothing written over it.
    const { batches, partialBytes } = splitBatches(records, { verifyCrc: true });
    expect(partialBytes).toBe(0);
    expect(batches.length).toBeGreaterThan(0);
    expect(records.includes(Buffer.alloc(1024, 'b'))).toBe(false);
    expect(records.includes(Buffer.alloc(1024, 'a'))).toBe(true);
  }, 60_000);
});

describe('Produce frames reassembled in pooled buffers', () => {
  it('stores every pipelined batch intact while their frame buffers are recycled', async () => {
    const b = await startTestBroker({ durability: 'async' });
    brokers.push(b);
    const c = await WireClient.open(b.port);
    clients.push(c);
    // 24 requests of ~260 KiB, each its own fill byte, in two waves of 12 sent before any answer: frames
    // span many socket reads, so each is reassembled in a pooled buffer. The second wave is reassembled in
    // the first wave's buffers (given back when their answers were sent), while the log may still be
    // writing the first wave: a buffer recycled too early would show up as another wave's bytes below.
    const fills = Array.from({ length: 24 }, (_, i) => String.fromCharCode(97 + (i % 26)));
    const frames = await Promise.all(
      fills.map(async (f) => {
        const value = Buffer.alloc(8 * 1024, f);
        const records = await buildRecordBatch({
          records: Array.from({ length: 32 }, () => ({ key: f, value })),
        });
        return c.frame(0, 7, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 5000,
          topicData: [{ name: 'pipelined', partitionData: [{ index: 0, records }] }],
        });
      }),
    );
    for (const wave of [frames.slice(0, 12), frames.slice(12)]) {
      await c.send(Buffer.concat(wave.map((f) => f.bytes)));
      for (const _ of wave) {
        const res = await c.next(0, 7);
        expect(res.body.responses[0].partitionResponses[0].errorCode).toBe(0);
      }
    }
    expect(b.broker.readBuffers.stats.reused).toBeGreaterThan(0);

    const fetched = await c.request(1, 11, fetchBody('pipelined', FETCH_BYTES));
    const records = fetched.responses[0].partitions[0].records!;
    const { batches } = splitBatches(records, { verifyCrc: true });
    expect(batches).toHaveLength(fills.length);
    for (const [i, batch] of batches.entries()) {
      const decoded = await decodeRecords(records.subarray(batch.position, batch.position + batch.size));
      expect(decoded).toHaveLength(32);
      for (const r of decoded) {
        expect(r.key?.toString()).toBe(fills[i]);
        expect(r.value?.equals(Buffer.alloc(8 * 1024, fills[i]))).toBe(true);
      }
    }
  }, 60_000);
});
