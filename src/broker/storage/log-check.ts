/**
 * `sluice log check <data-dir>`: verifies every batch of every segment (length, magic, CRC-32C, offsets
 * that never step back) without starting the broker or changing a byte. The broker itself checks only
 * what a crash can damage (the last segment after an unclean stop, and segments whose indexes do not
 * check out), so this is the way to find a flipped byte in data that was closed cleanly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DAMAGED_SUFFIX, type DamagedRegion, type ReadAt, walkSegment } from './damage.js';

/** Largest batch the check accepts: as recovery (at least 64 MiB). */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

export interface SegmentCheck {
  file: string;
  bytes: number;
  batches: number;
  damaged: DamagedRegion[];
  /** Bytes at the end that hold no intact batch (what recovery truncates in the last segment). */
  tornTail?: { at: number; bytes: number; problem: string };
}

export interface LogCheck {
  dataDir: string;
  partitions: number;
  segments: SegmentCheck[];
  /** Files recovery moved aside earlier, still there for inspection. */
  quarantined: string[];
  ok: boolean;
}

export class LogCheckError extends Error {
  override name = 'LogCheckError';
}

/** A partition directory is `<topic>-<partition>` holding `<20-digit base offset>.log` files. */
function partitionDirs(dataDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dataDir);
  } catch (err) {
    throw new LogCheckError(`cannot read the data directory ${dataDir}: ${(err as Error).message}`);
  }
  return names
    .filter((n) => /-\d+$/.test(n))
    .map((n) => path.join(dataDir, n))
    .filter((d) => fs.statSync(d).isDirectory())
    .sort();
}

function checkSegment(file: string): SegmentCheck {
  const fd = fs.openSync(file, 'r');
  try {
    const bytes = fs.fstatSync(fd).size;
    const read: ReadAt = (position, length) => {
      const buf = Buffer.allocUnsafe(length);
      const n = fs.readSync(fd, buf, 0, length, position);
      return n === length ? buf : buf.subarray(0, n);
    };
    const base = Number(path.basename(file).slice(0, 20));
    const walk = walkSegment(read, bytes, base, MAX_BATCH_BYTES);
    return {
      file,
      bytes,
      batches: walk.batches,
      damaged: walk.damaged,
      ...(walk.tornTailAt !== undefined && {
        tornTail: {
          at: walk.tornTailAt,
          bytes: bytes - walk.tornTailAt,
          problem: walk.tornTailProblem ?? 'damaged',
        },
      }),
    };
  } finally {
    fs.closeSync(fd);
  }
}

export function checkDataDir(dataDir: string): LogCheck {
  const result: LogCheck = { dataDir, partitions: 0, segments: [], quarantined: [], ok: true };
  for (const dir of partitionDirs(dataDir)) {
    result.partitions++;
    for (const name of fs.readdirSync(dir).sort()) {
      if (/^\d{20}\.log$/.test(name)) result.segments.push(checkSegment(path.join(dir, name)));
      else if (name.includes(DAMAGED_SUFFIX)) result.quarantined.push(path.join(dir, name));
    }
  }
  result.ok = result.segments.every((s) => s.damaged.length === 0 && !s.tornTail);
  return result;
}

/** The report `sluice log check` prints: one line per problem, then a summary. */
export function formatLogCheck(check: LogCheck): string {
  const lines: string[] = [];
  for (const s of check.segments) {
    for (const d of s.damaged) {
      lines.push(
        `DAMAGED ${s.file}: bytes ${d.from}..${d.to - 1} (${d.problem}); offsets ` +
          `${d.lostOffsets.from}..${d.lostOffsets.to} unreadable, intact batches follow`,
      );
    }
    if (s.tornTail) {
      lines.push(
        `TAIL    ${s.file}: last ${s.tornTail.bytes} bytes from ${s.tornTail.at} hold no intact batch ` +
          `(${s.tornTail.problem}); the broker truncates this after a crash, or moves it aside when a later segment holds data`,
      );
    }
  }
  for (const q of check.quarantined) lines.push(`MOVED   ${q}: damaged bytes a recovery moved aside`);
  const batches = check.segments.reduce((n, s) => n + s.batches, 0);
  lines.push(
    `${check.ok ? 'ok' : 'DAMAGE FOUND'}: ${check.partitions} partition(s), ${check.segments.length} segment(s), ` +
      `${batches} intact batch(es) checked (CRC-32C) in ${check.dataDir}`,
  );
  if (!check.ok) {
    lines.push(
      "what to do: delete each named segment's .index file and start the broker once (a segment without " +
        'a valid index is walked: damaged bytes are moved aside as <segment>.log.damaged-at-<position>, every ' +
        'intact batch stays at its offset), check the disk, and restore lost offsets from a backup or the ' +
        'producers if they matter',
    );
  }
  return lines.join('\n');
}
