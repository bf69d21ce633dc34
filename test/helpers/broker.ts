import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Broker } from '../../src/broker/broker.js';
import type { BrokerOptions } from '../../src/broker/config.js';

export interface TestBroker {
  broker: Broker;
  port: number;
  /** host:port for clients. */
  bootstrap: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Starts a broker in-process on 127.0.0.1 and a free port, with its data in a fresh temp directory
 * that stop() removes. Logs are silent unless SLUICE_TEST_LOG names a pino level.
 */
export async function startTestBroker(options: BrokerOptions = {}): Promise<TestBroker> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sluice-broker-test-'));
  const ownsDir = options.dataDir === undefined;
  const broker = new Broker(
    { host: '127.0.0.1', port: 0, dataDir, ...options },
    { logger: pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' }) },
  );
  try {
    const { port } = await broker.start();
    let stopped = false;
    return {
      broker,
      port,
      bootstrap: `127.0.0.1:${port}`,
      dataDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await broker.stop(2_000);
        } finally {
          if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The version table the broker advertises (its handler registry, group APIs included), read from a
 * broker started in memory: the one source the tests compare documents and codec defaults against.
 */
export async function advertisedVersions(): Promise<Record<number, { min: number; max: number }>> {
  const b = await startTestBroker({ durability: 'memory' });
  try {
    return b.broker.versionTable();
  } finally {
    await b.stop();
  }
}

const CODEC_IDS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/** The header fields of one stored record batch that say how a client produced it. */
export interface StoredBatch {
  /** Compression codec id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  codec: number;
  /** -1 unless the producer is idempotent (it got an id from InitProducerId). */
  producerId: bigint;
  baseSequence: number;
  records: number;
}

/**
 * Every batch stored in a partition, read from the log's bytes: what a client really sent, since librdkafka
 * silently falls back to uncompressed when the broker's version table fails its gates, and a client may quietly
 * drop idempotence. Record batch v2: baseOffset(8) batchLength(4) leaderEpoch(4) magic(1) crc(4) attributes(2) …
 */
export function storedBatches(broker: Broker, topic: string, partition: number): StoredBatch[] {
  const log = broker.store.partition(topic, partition);
  if (!log) throw new Error(`no partition ${topic}-${partition}`);
  const bytes = log.read(log.logStartOffset, 64 << 20).records;
  const batches: StoredBatch[] = [];
  for (let pos = 0; pos + 61 <= bytes.length; pos += 12 + bytes.readInt32BE(pos + 8)) {
    batches.push({
      codec: bytes.readInt16BE(pos + 21) & 0x07,
      producerId: bytes.readBigInt64BE(pos + 43),
      baseSequence: bytes.readInt32BE(pos + 53),
      records: bytes.readInt32BE(pos + 57),
    });
  }
  return batches;
}

export function storedCodecs(broker: Broker, topic: string, partition: number): number[] {
  return storedBatches(broker, topic, partition).map((b) => b.codec);
}

/** The id Kafka uses for a codec name in batch attributes. */
export function codecId(name: string): number {
  const id = CODEC_IDS[name];
  if (id === undefined) throw new Error(`unknown codec ${name}`);
  return id;
}
