/**
 * What librdkafka really sends: kcat (librdkafka 2.0.2) produces with each codec to a tiny stand-in
 * broker in this test (just enough ApiVersions v0, Metadata v0 and Produce v7 with acks=0 to receive
 * the batches), and we check that every batch passes our CRC-32C check, decompresses, decodes to the
 * records kcat was given, and is accepted by a partition log. The stand-in is hand-rolled on purpose:
 * this test is about record batches and codecs, not about our wire codec.
 */
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOG_CONFIG } from '../../src/broker/storage/config.js';
import { PartitionLog } from '../../src/broker/storage/partition-log.js';
import { VirtualClock } from '../../src/flow/clock.js';
import { decodeRecords, splitBatches } from '../../src/protocol/record-batch.js';

const kcatFound = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
if (!kcatFound) {
  if (process.env.CI) throw new Error('CI: kcat is required for the librdkafka compression compat test');
  console.warn('\n*** SKIPPING librdkafka compression compat test: kcat not found ***\n');
}

/** Accepts connections and collects the record sets of every Produce request. */
function standInBroker(): Promise<{ port: number; recordSets: Buffer[]; close: () => void }> {
  const recordSets: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    let pending = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + frame.length);
        const reply = handle(frame, port, recordSets);
        if (reply) {
          const size = Buffer.alloc(4);
          size.writeInt32BE(reply.length);
          sock.write(Buffer.concat([size, reply]));
        }
      }
    });
    sock.on('error', () => undefined);
  });
  let port = 0;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        recordSets,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      });
    });
  });
}

class Writer {
  private parts: Buffer[] = [];
  i16(v: number) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  i32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  str(s: string) {
    this.i16(Buffer.byteLength(s));
    this.parts.push(Buffer.from(s));
    return this;
  }
  done() {
    return Buffer.concat(this.parts);
  }
}

const APIS: [number, number, number][] = [
  // librdkafka 2.0.2 gates codecs on exact versions: gzip/snappy/lz4 need Produce v0 in the range
  // (else "Broker does not support compression type": it sends the batch uncompressed), lz4 also needs
  // FindCoordinator v0, zstd needs Produce v7 and Fetch v10.
  [0, 0, 7], // Produce
  [1, 0, 10], // Fetch (never called here)
  [3, 0, 0], // Metadata
  [10, 0, 0], // FindCoordinator (never called here)
  [18, 0, 0], // ApiVersions
];

function handle(frame: Buffer, port: number, recordSets: Buffer[]): Buffer | undefined {
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  const clientIdLen = frame.readInt16BE(8);
  let at = 10 + Math.max(0, clientIdLen);
  const w = new Writer().i32(correlationId);
  if (apiKey === 18) {
    // Any version above 0 gets UNSUPPORTED_VERSION in v0 layout; librdkafka then retries with v0.
    w.i16(apiVersion === 0 ? 0 : 35).i32(APIS.length);
    for (const [k, min, max] of APIS) w.i16(k).i16(min).i16(max);
    return w.done();
  }
  if (apiKey === 3) {
    const n = frame.readInt32BE(at);
    at += 4;
    const topics: string[] = [];
    for (let i = 0; i < n; i++) {
      const len = frame.readInt16BE(at);
      topics.push(frame.toString('utf8', at + 2, at + 2 + len));
      at += 2 + len;
    }
    w.i32(1).i32(1).str('127.0.0.1').i32(port);
    w.i32(topics.length);
    for (const t of topics) w.i16(0).str(t).i32(1).i16(0).i32(0).i32(1).i32(1).i32(1).i32(1).i32(1);
    return w.done();
  }
  if (apiKey === 0) {
    const txLen = frame.readInt16BE(at);
    at += 2 + Math.max(0, txLen) + 2 + 4; // transactional_id, acks, timeout
    const topicCount = frame.readInt32BE(at);
    at += 4;
    for (let t = 0; t < topicCount; t++) {
      at += 2 + frame.readInt16BE(at);
      const partitions = frame.readInt32BE(at);
      at += 4;
      for (let p = 0; p < partitions; p++) {
        at += 4;
        const len = frame.readInt32BE(at);
        at += 4;
        recordSets.push(Buffer.from(frame.subarray(at, at + len)));
        at += len;
      }
    }
    return undefined; // acks=0: no response
  }
  return undefined;
}

function kcatProduce(port: number, codec: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'kcat',
      [
        '-P',
        '-b',
        `127.0.0.1:${port}`,
        '-t',
        'compat',
        '-p',
        '0',
        '-K',
        ':',
        '-X',
        `compression.codec=${codec}`,
        '-X',
        'acks=0',
        '-X',
        'linger.ms=50',
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`kcat exited ${code}: ${stderr}`));
    });
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

const codes: Record<string, number> = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
const brokers: Array<() => void> = [];
afterAll(() => {
  for (const close of brokers) close();
});

describe.skipIf(!kcatFound)('batches produced by librdkafka (kcat)', () => {
  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
    it(`reads ${codec} batches exactly as librdkafka compresses them`, async () => {
      const broker = await standInBroker();
      brokers.push(broker.close);
      const lines = Array.from({ length: 300 }, (_, i) => `key-${i}:${`value ${i} `.repeat(1 + (i % 20))}`);
      await kcatProduce(broker.port, codec, lines);
      expect(broker.recordSets.length).toBeGreaterThan(0);
      const got: string[] = [];
      const { log } = await PartitionLog.open({
        topic: 'compat',
        partition: 0,
        config: { ...DEFAULT_LOG_CONFIG, durability: 'memory' },
        clock: new VirtualClock(0),
      });
      for (const set of broker.recordSets) {
        const { batches, partialBytes } = splitBatches(set, { verifyCrc: true });
        expect(partialBytes).toBe(0);
        for (const b of batches) {
          expect(b.header.attributes.compression).toBe(codes[codec]);
          const recs = await decodeRecords(set.subarray(b.position, b.position + b.size));
          for (const r of recs) got.push(`${r.key?.toString()}:${r.value?.toString()}`);
        }
        await log.append(set);
      }
      expect(got).toEqual(lines);
      expect(log.highWatermark).toBe(300n);
    });
  }
});
