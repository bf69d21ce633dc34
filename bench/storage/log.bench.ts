/**
 * Partition log throughput beside plain Node file I/O on the same bytes.
 *
 *   npm run bench:storage     (BENCH_MB=64 MiB per case, BENCH_REPS=3 runs each, median reported)
 *
 * Append: record batches of 100 records (100 B or 1 KiB values), 16 appends in flight, for each
 * durability level. Peers: `fs.write` of the same batches to one file (what `async` does at best),
 * `fs.write` + `fdatasync` per batch (a naive `sync`), and an in-heap array of copies (`memory`).
 * Read: the whole log from offset 0 in 1 MiB fetches, beside `fs.readSync` of a plain file in 1 MiB
 * chunks. Ratios are ours / peer (higher is better for throughput).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_LOG_CONFIG, type Durability, PartitionLog } from '../../src/broker/storage/index.js';
import { VirtualClock } from '../../src/flow/clock.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';

const TOTAL_MB = Number(process.env.BENCH_MB ?? 64);
const SYNC_MB = Math.max(4, TOTAL_MB / 4);
const IN_FLIGHT = 16;
const RECORDS_PER_BATCH = 100;

const REPS = Number(process.env.BENCH_REPS ?? 3);

interface Rate {
  recs: number;
  mbs: number;
}

/** The run with the median MB/s. */
function median(runs: Rate[]): Rate {
  return [...runs].sort((x, y) => x.mbs - y.mbs)[runs.length >> 1];
}

interface Row {
  case: string;
  ours: { recs: number; mbs: number };
  peerName: string;
  peer: { recs: number; mbs: number };
}

async function makeBatches(valueBytes: number, count: number): Promise<Buffer[]> {
  const template = await buildRecordBatch({
    records: Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
      key: `key-${i}`,
      value: Buffer.alloc(valueBytes, 97 + (i % 26)),
      timestamp: 1_700_000_000_000 + i,
    })),
  });
  // Distinct buffers: an append owns its buffer (rewrites baseOffset) until it resolves.
  return Array.from({ length: count }, () => Buffer.from(template));
}

function rate(records: number, bytes: number, ms: number) {
  return { recs: (records / ms) * 1000, mbs: bytes / 1024 / 1024 / (ms / 1000) };
}

async function timeAppends(
  durability: Durability,
  dir: string,
  batches: Buffer[],
  totalBatches: number,
): Promise<{ rate: ReturnType<typeof rate>; log: PartitionLog; fsyncs: number }> {
  const { log } = await PartitionLog.open({
    topic: 'bench',
    partition: 0,
    dir,
    config: { ...DEFAULT_LOG_CONFIG, durability, segmentBytes: 256 * 1024 * 1024, flushIntervalMs: 1000 },
    clock: new VirtualClock(0),
  });
  const fsyncs0 = log.stats.fsyncs;
  const start = performance.now();
  let next = 0;
  const lane = async (l: number) => {
    for (let i = l; i < totalBatches; i += IN_FLIGHT) {
      next++;
      await log.append(batches[i % batches.length]);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, l) => lane(l)));
  const ms = performance.now() - start;
  const bytes = batches[0].length * totalBatches;
  // Checked before the rate counts: every record appended, none twice.
  if (log.highWatermark !== BigInt(totalBatches * RECORDS_PER_BATCH)) {
    throw new Error(
      `log ends at ${log.highWatermark} after ${totalBatches * RECORDS_PER_BATCH} records appended`,
    );
  }
  return { rate: rate(next * RECORDS_PER_BATCH, bytes, ms), log, fsyncs: log.stats.fsyncs - fsyncs0 };
}

function writeAll(fd: number, buf: Buffer, pos: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.write(fd, buf, 0, buf.length, pos, (err) => (err ? reject(err) : resolve())),
  );
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/** Plain positional writes with the same concurrency, optionally fsyncing after each. */
async function timePlain(file: string, batches: Buffer[], totalBatches: number, fsyncEach: boolean) {
  const fd = fs.openSync(file, 'w');
  const size = batches[0].length;
  const start = performance.now();
  let pos = 0;
  const lane = async (l: number) => {
    for (let i = l; i < totalBatches; i += IN_FLIGHT) {
      const at = pos;
      pos += size;
      await writeAll(fd, batches[i % batches.length], at);
      if (fsyncEach) await fdatasync(fd);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, l) => lane(l)));
  const ms = performance.now() - start;
  fs.closeSync(fd);
  return rate(totalBatches * RECORDS_PER_BATCH, size * totalBatches, ms);
}

function timeHeap(batches: Buffer[], totalBatches: number) {
  const kept: Buffer[] = [];
  const start = performance.now();
  for (let i = 0; i < totalBatches; i++) kept.push(Buffer.from(batches[i % batches.length]));
  const ms = performance.now() - start;
  return rate(totalBatches * RECORDS_PER_BATCH, batches[0].length * totalBatches, ms);
}

/** Appends then reads in memory; returns only the rates so the log's heap arenas become garbage. */
async function runMemoryLog(
  dir: string,
  batches: Buffer[],
  total: number,
): Promise<{ append: Rate; read: Rate }> {
  const mem = await timeAppends('memory', dir, batches, total);
  const read = timeRead(mem.log);
  await mem.log.close();
  return { append: mem.rate, read };
}

/** Median latency of a 4 KiB write + fdatasync on this disk: what one fsync really costs here. */
async function fsyncLatencyMs(dir: string): Promise<number> {
  const fd = fs.openSync(path.join(dir, 'fsync-probe'), 'w');
  const buf = Buffer.alloc(4096, 1);
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    await writeAll(fd, buf, i * 4096);
    const t = performance.now();
    await fdatasync(fd);
    samples.push(performance.now() - t);
  }
  fs.closeSync(fd);
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

function timeRead(log: PartitionLog) {
  const start = performance.now();
  let at = log.logStartOffset;
  let bytes = 0;
  let records = 0;
  while (at < log.highWatermark) {
    const r = log.read(at, 1024 * 1024);
    bytes += r.records.length;
    // Next fetch offset: past the last batch returned (headers only, no record decode).
    let pos = 0;
    let lastBase = 0n;
    let lastDelta = 0;
    while (pos < r.records.length) {
      lastBase = r.records.readBigInt64BE(pos);
      lastDelta = r.records.readInt32BE(pos + 23);
      records += r.records.readInt32BE(pos + 57);
      pos += 12 + r.records.readInt32BE(pos + 8);
    }
    at = lastBase + BigInt(lastDelta) + 1n;
  }
  const ms = performance.now() - start;
  const expected = Number(log.highWatermark - log.logStartOffset);
  if (records !== expected || bytes !== log.size) {
    throw new Error(`read ${records} of ${expected} records (${bytes} of ${log.size} bytes)`);
  }
  return rate(expected, bytes, ms);
}

function timePlainRead(file: string, records: number) {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  const start = performance.now();
  let pos = 0;
  while (pos < size) {
    const buf = Buffer.allocUnsafe(Math.min(1024 * 1024, size - pos));
    const n = fs.readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    pos += n;
  }
  const ms = performance.now() - start;
  fs.closeSync(fd);
  if (pos !== size) throw new Error(`plain read got ${pos} of ${size} bytes`);
  return rate(records, size, ms);
}

const fmt = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-storage-'));
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    notes.push(`median fdatasync latency on this disk: ${(await fsyncLatencyMs(root)).toFixed(3)} ms`);
    for (const valueBytes of [100, 1024]) {
      const label = valueBytes === 100 ? '100 B' : '1 KiB';
      const batches = await makeBatches(valueBytes, 64);
      const perBatch = batches[0].length;
      const total = Math.ceil((TOTAL_MB * 1024 * 1024) / perBatch);
      const totalSync = Math.ceil((SYNC_MB * 1024 * 1024) / perBatch);
      const m = { append: [] as Rate[], read: [] as Rate[], heap: [] as Rate[] };
      const a = { append: [] as Rate[], read: [] as Rate[], plain: [] as Rate[], plainRead: [] as Rate[] };
      const y = { append: [] as Rate[], plain: [] as Rate[], fsyncs: [] as number[] };
      let heldMiB = 0;
      // Ours and the peer alternate within each repetition so both see the same background noise.
      for (let rep = 0; rep < REPS; rep++) {
        const dir = (name: string) => path.join(root, `${name}-${valueBytes}-${rep}`);
        const mem = await runMemoryLog(dir('mem'), batches, total);
        m.append.push(mem.append);
        m.read.push(mem.read);
        m.heap.push(timeHeap(batches, total));

        const asy = await timeAppends('async', dir('async'), batches, total);
        a.append.push(asy.rate);
        const plainFile = `${dir('plain')}.bin`;
        a.plain.push(await timePlain(plainFile, batches, total, false));
        a.read.push(timeRead(asy.log));
        a.plainRead.push(timePlainRead(plainFile, total * RECORDS_PER_BATCH));
        global.gc?.();
        const usage = process.memoryUsage();
        heldMiB = Math.max(heldMiB, (usage.heapUsed + usage.arrayBuffers) / 2 ** 20);
        await asy.log.close();

        const syn = await timeAppends('sync', dir('sync'), batches, totalSync);
        y.append.push(syn.rate);
        y.fsyncs.push(syn.fsyncs);
        await syn.log.close();
        y.plain.push(await timePlain(`${dir('plainsync')}.bin`, batches, totalSync, true));
        for (const name of ['mem', 'async', 'sync']) fs.rmSync(dir(name), { recursive: true, force: true });
        for (const name of ['plain', 'plainsync']) fs.rmSync(`${dir(name)}.bin`, { force: true });
      }
      rows.push(
        {
          case: `append ${label} memory`,
          ours: median(m.append),
          peerName: 'Buffer copies in an array',
          peer: median(m.heap),
        },
        {
          case: `append ${label} async`,
          ours: median(a.append),
          peerName: 'fs.write, no fsync',
          peer: median(a.plain),
        },
        {
          case: `append ${label} sync`,
          ours: median(y.append),
          peerName: 'fs.write + fdatasync each',
          peer: median(y.plain),
        },
        {
          case: `read ${label} (disk, 1 MiB fetches)`,
          ours: median(a.read),
          peerName: 'fs.readSync 1 MiB chunks',
          peer: median(a.plainRead),
        },
        {
          case: `read ${label} (memory)`,
          ours: median(m.read),
          peerName: 'fs.readSync 1 MiB chunks',
          peer: median(a.plainRead),
        },
      );
      notes.push(
        `${label} sync: ${totalSync} appends took ${y.fsyncs.join('/')} fsyncs per run (group commit, ${IN_FLIGHT} in flight)`,
        `${label}: heap + buffers after appending and reading ${TOTAL_MB} MiB through the disk log: at most ${heldMiB.toFixed(0)} MiB`,
      );
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }

  console.log(
    `\nPartition log, median of ${REPS} runs, ${TOTAL_MB} MiB per case (sync: ${SYNC_MB} MiB), ${RECORDS_PER_BATCH}-record batches, ${IN_FLIGHT} appends in flight, ${os.cpus().length} cores, Node ${process.version}\n`,
  );
  console.log('| case | sluice records/s | sluice MB/s | peer | peer records/s | peer MB/s | ratio |');
  console.log('|---|---:|---:|---|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.case} | ${fmt(r.ours.recs)} | ${r.ours.mbs.toFixed(1)} | ${r.peerName} | ${fmt(r.peer.recs)} | ${r.peer.mbs.toFixed(1)} | ${(r.ours.mbs / r.peer.mbs).toFixed(2)}x |`,
    );
  }
  console.log('');
  for (const n of notes) console.log(`- ${n}`);
}

await main();
