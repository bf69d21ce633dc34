/**
 * The data directory, checked before anything is opened: created when missing, and proven writable by
 * writing and fsyncing a small probe file. Every failure is one line naming the path and the cause, in
 * words (a read-only file system, a full disk), instead of a bare "ENOENT … mkdir …/.meta" from deep
 * inside the log manager.
 */
import fs from 'node:fs';
import path from 'node:path';

export class DataDirError extends Error {
  override name = 'DataDirError';
}

const CAUSES: Record<string, string> = {
  ENOENT: 'no such file or directory, and it cannot be created there',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EIO: 'an I/O error on the device',
};

/** An fs error in words, with its code: "the file system is read-only (EROFS)". */
export function describeIoError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!e?.code) return (err as Error)?.message ?? String(err);
  return `${CAUSES[e.code] ?? e.message} (${e.code}${e.path ? ` at ${e.path}` : ''})`;
}

/**
 * `mkdir -p`, one level at a time: Node 20's recursive mkdirSync spins forever under /proc (mkdir says
 * ENOENT for a parent that exists, and it retries the parent).
 */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  while (!fs.existsSync(at)) {
    missing.unshift(at);
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  if (missing.length === 0 && !fs.statSync(at).isDirectory()) {
    throw Object.assign(new Error(`${at} is not a directory`), { code: 'ENOTDIR', path: at });
  }
  for (const d of missing) fs.mkdirSync(d);
}

const PROBE = '.write-probe';

/** Creates `dataDir` when needed and proves that files can be written and synced there. */
export function prepareDataDir(dataDir: string): void {
  try {
    ensureDir(dataDir);
    const probe = path.join(dataDir, PROBE);
    const fd = fs.openSync(probe, 'w');
    try {
      fs.writeSync(fd, Buffer.alloc(4096));
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.rmSync(probe);
  } catch (err) {
    throw dataDirError(dataDir, err);
  }
}

/** The one-line refusal for an unusable data directory. */
export function dataDirError(dataDir: string, err: unknown): DataDirError {
  return new DataDirError(
    `cannot use the data directory ${path.resolve(dataDir)}: ${describeIoError(err)}; ` +
      'fix it or pick another --data-dir (or --durability memory to keep nothing on disk)',
  );
}
