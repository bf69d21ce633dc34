/**
 * The aborted-transactions index of a segment (Kafka's `.txnindex`), one file beside the segment's
 * `.log`, `.index` and `.timeindex`: every transaction whose abort marker is in the segment, in marker
 * order, as 34-byte entries in Kafka's layout:
 *   version int16 (0), producerId int64, firstOffset int64, lastOffset int64 (the marker),
 *   lastStableOffset int64 (the partition's LSO once the marker was written)
 * read_committed fetches hand these ranges to clients so they drop the aborted records. The entry is
 * appended when the abort marker is written. After a crash the tail may miss entries or hold a torn
 * one, so start-up rebuilds the files from the log (producer-recovery.ts walks every batch anyway) and
 * rewrites those that differ; retention deletes the file with its segment.
 */
import fs from 'node:fs';

export const TXN_INDEX_SUFFIX = '.txnindex';
const ENTRY_BYTES = 34;
const VERSION = 0;

export interface AbortedTxnEntry {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

export function encodeTxnIndex(entries: readonly AbortedTxnEntry[]): Buffer {
  const buf = Buffer.alloc(entries.length * ENTRY_BYTES);
  entries.forEach((e, i) => {
    const at = i * ENTRY_BYTES;
    buf.writeInt16BE(VERSION, at);
    buf.writeBigInt64BE(e.producerId, at + 2);
    buf.writeBigInt64BE(e.firstOffset, at + 10);
    buf.writeBigInt64BE(e.lastOffset, at + 18);
    buf.writeBigInt64BE(e.lastStableOffset, at + 26);
  });
  return buf;
}

/** The whole entries of a file's bytes; a torn trailing entry (a crash mid-append) is left out. */
export function decodeTxnIndex(buf: Buffer): AbortedTxnEntry[] {
  const entries: AbortedTxnEntry[] = [];
  for (let at = 0; at + ENTRY_BYTES <= buf.length; at += ENTRY_BYTES) {
    if (buf.readInt16BE(at) !== VERSION) break;
    entries.push({
      producerId: buf.readBigInt64BE(at + 2),
      firstOffset: buf.readBigInt64BE(at + 10),
      lastOffset: buf.readBigInt64BE(at + 18),
      lastStableOffset: buf.readBigInt64BE(at + 26),
    });
  }
  return entries;
}

/** The entries of `<pathPrefix>.txnindex`; none when the file does not exist. */
export function readTxnIndex(pathPrefix: string): AbortedTxnEntry[] {
  try {
    return decodeTxnIndex(fs.readFileSync(pathPrefix + TXN_INDEX_SUFFIX));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Appends one entry (the abort marker was just written to the segment). */
export async function appendTxnIndex(pathPrefix: string, entry: AbortedTxnEntry): Promise<void> {
  await fs.promises.appendFile(pathPrefix + TXN_INDEX_SUFFIX, encodeTxnIndex([entry]), { mode: 0o644 });
}

/** Replaces the file with `entries` (removes it when there are none), through a temporary file. */
export async function writeTxnIndex(pathPrefix: string, entries: readonly AbortedTxnEntry[]): Promise<void> {
  const file = pathPrefix + TXN_INDEX_SUFFIX;
  if (entries.length === 0) {
    await fs.promises.rm(file, { force: true });
    return;
  }
  const tmp = `${file}.tmp`;
  await fs.promises.writeFile(tmp, encodeTxnIndex(entries), { mode: 0o644 });
  await fs.promises.rename(tmp, file);
}

export function sameEntries(a: readonly AbortedTxnEntry[], b: readonly AbortedTxnEntry[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (e, i) =>
        e.producerId === b[i].producerId &&
        e.firstOffset === b[i].firstOffset &&
        e.lastOffset === b[i].lastOffset &&
        e.lastStableOffset === b[i].lastStableOffset,
    )
  );
}
