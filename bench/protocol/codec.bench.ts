/**
 * Codec micro-benchmark: Sluice's generic codec beside kafkajs 2.2.4's Encoder/Decoder on the same messages.
 * Run: npm run bench:protocol   (opt-in; not part of npm test)
 *
 * kafkajs is a client: it encodes Produce requests and decodes Fetch responses, but has no code for the
 * broker's side. For the broker-side rows, the kafkajs figure is its own Encoder/Decoder primitives walking
 * the same layout field by field, exactly as its request/response modules do. Record sets are kept as bytes
 * on both sides unless a row says otherwise.
 */
import { createRequire } from 'node:module';
import { ApiKey } from '../../src/protocol/api-keys.js';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  encodeResponseChunks,
} from '../../src/protocol/messages.js';

const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const kjsFetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/response.js');

interface Shape {
  label: string;
  topics: number;
  partitions: number;
  recordsPerBatch: number;
  valueBytes: number;
}

const SHAPES: Shape[] = [
  { label: '1 partition, 1 small record', topics: 1, partitions: 1, recordsPerBatch: 1, valueBytes: 100 },
  {
    label: '2 topics x 8 partitions, 100 x 1 KiB records each',
    topics: 2,
    partitions: 8,
    recordsPerBatch: 100,
    valueBytes: 1024,
  },
];

async function batch(records: number, valueBytes: number): Promise<Buffer> {
  const value = Buffer.alloc(valueBytes, 120);
  const recs = Array.from({ length: records }, (_, i) =>
    Record({ key: Buffer.from(`k${i}`), value, offsetDelta: i, timestampDelta: 0 }),
  );
  const encoded = await RecordBatch({
    records: recs,
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_000,
    lastOffsetDelta: records - 1,
  });
  return encoded.buffer;
}

function timed(fn: () => unknown, minMs: number): number {
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 50; i++) fn();
    ops += 50;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (ops / elapsed) * 1000;
}

/**
 * Ops per second of two functions, measured in alternating rounds (A B A B ...) so that noise from other
 * processes on a shared machine hits both alike; the median of 7 rounds each.
 */
function compare(ours: () => unknown, peer: () => unknown, minMs = 150): [number, number] {
  for (let i = 0; i < 300; i++) {
    ours();
    peer();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < 7; round++) {
    a.push(timed(ours, minMs));
    b.push(timed(peer, minMs));
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[3];
  return [median(a), median(b)];
}

const rows: string[][] = [];
const fmt = (n: number) =>
  n >= 1e5 ? `${Math.round(n / 1000)}k` : n >= 1e3 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0);

function row(what: string, shape: string, [ours, peer]: [number, number], peerLabel: string) {
  rows.push([what, shape, `${fmt(ours)}/s`, `${fmt(peer)}/s`, peerLabel, `${(ours / peer).toFixed(2)}x`]);
}

for (const shape of SHAPES) {
  const records = await batch(shape.recordsPerBatch, shape.valueBytes);
  const topicNames = Array.from({ length: shape.topics }, (_, t) => `topic-${t}`);
  const produceBody = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: topicNames.map((name) => ({
      name,
      partitionData: Array.from({ length: shape.partitions }, (_, index) => ({ index, records })),
    })),
  };

  // --- Produce v7 request, client side: encode.
  const kjsProduceEncode = () => {
    const payload = new Encoder()
      .writeString(null)
      .writeInt16(-1)
      .writeInt32(30000)
      .writeArray(
        topicNames.map((name) =>
          new Encoder()
            .writeString(name)
            .writeArray(
              produceBody.topicData[0].partitionData.map((p) =>
                new Encoder().writeInt32(p.index).writeInt32(records.length).writeBuffer(records),
              ),
            ),
        ),
      );
    const framed = new Encoder()
      .writeInt16(0)
      .writeInt16(7)
      .writeInt32(1)
      .writeString('bench')
      .writeEncoder(payload);
    return new Encoder().writeInt32(framed.size()).writeEncoder(framed).buffer;
  };
  const produceFrame = encodeRequest(ApiKey.Produce, 7, 1, 'bench', produceBody);
  if (!produceFrame.equals(kjsProduceEncode()))
    throw new Error('bench setup: the two Produce encoders disagree');
  row(
    'Produce v7 request encode',
    shape.label,
    compare(() => encodeRequest(ApiKey.Produce, 7, 1, 'bench', produceBody), kjsProduceEncode),
    'kafkajs Encoder',
  );

  // --- Produce v7 request, broker side: decode.
  const body = produceFrame.subarray(4);
  const kjsProduceDecode = () => {
    const d = new Decoder(body);
    const header = {
      apiKey: d.readInt16(),
      apiVersion: d.readInt16(),
      correlationId: d.readInt32(),
      clientId: d.readString(),
    };
    return {
      header,
      transactionalId: d.readString(),
      acks: d.readInt16(),
      timeoutMs: d.readInt32(),
      topicData: d.readArray((t: typeof d) => ({
        name: t.readString(),
        partitionData: t.readArray((p: typeof d) => ({ index: p.readInt32(), records: p.readBytes() })),
      })),
    };
  };
  row(
    'Produce v7 request decode',
    shape.label,
    compare(() => decodeRequest(body), kjsProduceDecode),
    'kafkajs Decoder',
  );

  // --- Fetch v11 response, broker side: encode.
  const fetchBody = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: topicNames.map((topic) => ({
      topic,
      partitions: Array.from({ length: shape.partitions }, (_, partitionIndex) => ({
        partitionIndex,
        errorCode: 0,
        highWatermark: 1000n,
        lastStableOffset: 1000n,
        logStartOffset: 0n,
        abortedTransactions: [],
        preferredReadReplica: -1,
        records,
      })),
    })),
  };
  const kjsFetchEncode = () => {
    const payload = new Encoder()
      .writeInt32(0)
      .writeInt16(0)
      .writeInt32(0)
      .writeArray(
        fetchBody.responses.map((t) =>
          new Encoder()
            .writeString(t.topic)
            .writeArray(
              t.partitions.map((p) =>
                new Encoder()
                  .writeInt32(p.partitionIndex)
                  .writeInt16(p.errorCode)
                  .writeInt64(p.highWatermark.toString())
                  .writeInt64(p.lastStableOffset.toString())
                  .writeInt64(p.logStartOffset.toString())
                  .writeArray([])
                  .writeInt32(p.preferredReadReplica)
                  .writeInt32(p.records.length)
                  .writeBuffer(p.records),
              ),
            ),
        ),
      );
    const framed = new Encoder().writeInt32(1).writeEncoder(payload);
    return new Encoder().writeInt32(framed.size()).writeEncoder(framed).buffer;
  };
  const fetchFrame = encodeResponse(ApiKey.Fetch, 11, 1, fetchBody);
  if (!fetchFrame.equals(kjsFetchEncode())) throw new Error('bench setup: the two Fetch encoders disagree');
  row(
    'Fetch v11 response encode',
    shape.label,
    compare(() => encodeResponse(ApiKey.Fetch, 11, 1, fetchBody), kjsFetchEncode),
    'kafkajs Encoder',
  );
  row(
    'Fetch v11 response encode, zero-copy chunks',
    shape.label,
    compare(() => encodeResponseChunks(ApiKey.Fetch, 11, 1, fetchBody, 4096), kjsFetchEncode),
    'kafkajs Encoder',
  );

  // --- Fetch v11 response, client side: decode (records kept as bytes on both sides).
  const fetchPayload = fetchFrame.subarray(4);
  const kjsFetchDecode = () => {
    const d = new Decoder(fetchPayload);
    return {
      correlationId: d.readInt32(),
      throttleTimeMs: d.readInt32(),
      errorCode: d.readInt16(),
      sessionId: d.readInt32(),
      responses: d.readArray((t: typeof d) => ({
        topic: t.readString(),
        partitions: t.readArray((p: typeof d) => ({
          partitionIndex: p.readInt32(),
          errorCode: p.readInt16(),
          highWatermark: p.readInt64().toString(),
          lastStableOffset: p.readInt64().toString(),
          logStartOffset: p.readInt64().toString(),
          abortedTransactions: p.readArray((a: typeof d) => ({
            producerId: a.readInt64(),
            firstOffset: a.readInt64(),
          })),
          preferredReadReplica: p.readInt32(),
          records: p.readBytes(),
        })),
      })),
    };
  };
  const fetchDecode = compare(() => decodeResponse(ApiKey.Fetch, 11, fetchPayload), kjsFetchDecode);
  row('Fetch v11 response decode', shape.label, fetchDecode, 'kafkajs Decoder');
  // For scale only (not interleaved): kafkajs's real Fetch v11 response module also decodes every record.
  let kjsReal = 0;
  {
    const rest = fetchPayload.subarray(4);
    for (let i = 0; i < 20; i++) await kjsFetchV11.decode(rest);
    const start = process.hrtime.bigint();
    let ops = 0;
    while (Number(process.hrtime.bigint() - start) < 500e6) {
      await kjsFetchV11.decode(rest);
      ops++;
    }
    kjsReal = ops / (Number(process.hrtime.bigint() - start) / 1e9);
  }
  row(
    'Fetch v11 response decode',
    shape.label,
    [fetchDecode[0], kjsReal],
    'kafkajs fetch/v11 module (decodes records too)',
  );
}

const header = ['operation', 'message', 'Sluice', 'peer', 'peer measured', 'Sluice / peer'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(
  `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; ops/s, median of 7 alternating rounds`,
);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
