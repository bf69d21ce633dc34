/**
 * Where a segment's bytes live: a file (positional writes and reads on one descriptor) or memory
 * (the `memory` durability level, which touches no disk). Reads are synchronous positional reads so a
 * fetch serves bytes straight from the page cache without holding segments in the heap.
 */
import fs from 'node:fs';
import { StorageIoError } from './errors.js';

/** Counters that make durability observable (the group-commit test counts fsyncs). */
export interface StorageStats {
  /** fsync/fdatasync calls on segment data files. */
  fsyncs: number;
  /** fsync calls on directories (new segment files, topic metadata). */
  dirFsyncs: number;
  writes: number;
  bytesWritten: number;
}

export function newStats(): StorageStats {
  return { fsyncs: 0, dirFsyncs: 0, writes: 0, bytesWritten: 0 };
}

/** Returns a buffer of at least `size` bytes for a read to fill. */
export type Allocator = (size: number) => Buffer;

export interface ByteStore {
  /** Bytes written so far. */
  readonly size: number;
  /** Writes `buf` at `position`. */
  write(buf: Buffer, position: number): Promise<void>;
  /**
   * Reads up to `length` bytes at `position` (fewer at the end). `alloc`, when given, supplies the
   * buffer to read into (a pooled one, see read-buffers.ts); a store that can answer with a view of
   * bytes it already holds does so instead.
   */
  readSync(position: number, length: number, alloc?: Allocator): Buffer;
  /** Makes written bytes durable (fsync); a no-op in memory. */
  sync(): Promise<void>;
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
  /** Closes and deletes the backing storage. */
  remove(): Promise<void>;
}

/** Arena size: appends are copied into 1 MiB arenas so reads inside one arena are zero-copy slices. */
const ARENA_BYTES = 1024 * 1024;

export class MemoryStore implements ByteStore {
  private arenas: Buffer[] = [];
  /** Bytes used in each arena. */
  private used: number[] = [];
  private starts: number[] = [];
  size = 0;

  write(buf: Buffer, position: number): Promise<void> {
    if (position !== this.size) {
      return Promise.reject(new Error(`memory store: write at ${position}, expected ${this.size}`));
    }
    // Copy: the caller may reuse its buffer (a request frame). Stored bytes never change afterwards,
    // which is what makes handing out slices of an arena safe.
    const last = this.arenas.length - 1;
    if (last >= 0 && this.arenas[last].length - this.used[last] >= buf.length) {
      buf.copy(this.arenas[last], this.used[last]);
      this.used[last] += buf.length;
    } else {
      const arena = Buffer.allocUnsafe(Math.max(ARENA_BYTES, buf.length));
      buf.copy(arena, 0);
      this.arenas.push(arena);
      this.used.push(buf.length);
      this.starts.push(position);
    }
    this.size += buf.length;
    return Promise.resolve();
  }

  readSync(position: number, length: number, alloc?: Allocator): Buffer {
    const end = Math.min(this.size, position + length);
    if (position >= end) return Buffer.alloc(0);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= position) lo = mid;
      else hi = mid - 1;
    }
    const startIn = position - this.starts[lo];
    if (startIn + (end - position) <= this.used[lo]) {
      return this.arenas[lo].subarray(startIn, startIn + (end - position));
    }
    const out = alloc
      ? alloc(end - position).subarray(0, end - position)
      : Buffer.allocUnsafe(end - position);
    let at = position;
    for (let i = lo; i < this.arenas.length && at < end; i++) {
      const from = at - this.starts[i];
      const take = Math.min(this.used[i] - from, end - at);
      this.arenas[i].copy(out, at - position, from, from + take);
      at += take;
    }
    return out;
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  truncate(size: number): Promise<void> {
    while (this.arenas.length > 0 && this.starts[this.starts.length - 1] >= size) {
      this.arenas.pop();
      this.used.pop();
      this.starts.pop();
    }
    const last = this.arenas.length - 1;
    if (last >= 0) this.used[last] = Math.min(this.used[last], size - this.starts[last]);
    this.size = Math.min(this.size, size);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  remove(): Promise<void> {
    this.arenas = [];
    this.used = [];
    this.starts = [];
    this.size = 0;
    return Promise.resolve();
  }
}

interface QueuedWrite {
  buf: Buffer;
  position: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Buffers per pwritev (Linux's IOV_MAX). */
const MAX_IOVECS = 1024;

/** `pwritev` of all of `bufs` at `position`, continuing after short writes. */
function writevFully(
  fd: number,
  bufs: Buffer[],
  position: number,
  done: (err: NodeJS.ErrnoException | null) => void,
): void {
  const onWritten = (err: NodeJS.ErrnoException | null, written: number) => {
    if (err) return done(err);
    let skip = written;
    let i = 0;
    while (i < bufs.length && skip >= bufs[i].length) skip -= bufs[i++].length;
    if (i === bufs.length) return done(null);
    const rest = [bufs[i].subarray(skip), ...bufs.slice(i + 1)];
    writevFully(fd, rest, position + written, done);
  };
  try {
    fs.writev(fd, bufs, position, onWritten);
  } catch (err) {
    // A closed descriptor throws at once instead of calling back: the queue must still move on.
    queueMicrotask(() => done(err as NodeJS.ErrnoException));
  }
}

export class FileStore implements ByteStore {
  private fd: number;
  size: number;
  /** Appends waiting for the write in flight (see write). */
  private queued: QueuedWrite[] = [];
  private writing = false;
  /** Called once nothing is queued or in flight (see drained). */
  private drainWaiters: (() => void)[] = [];

  private constructor(
    readonly path: string,
    fd: number,
    size: number,
    private readonly stats: StorageStats,
  ) {
    this.fd = fd;
    this.size = size;
  }

  /**
   * Opens (creating when missing) the file at `path`. With `after`, this file's writes start only once
   * every write queued to `after` has completed: a log's next segment never holds bytes past a hole in
   * the one before it, so a kill mid-roll leaves a contiguous log (recovery.ts trusts sealed segments).
   */
  static open(path: string, stats: StorageStats, after?: FileStore): FileStore {
    const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    const size = fs.fstatSync(fd).size;
    const store = new FileStore(path, fd, size, stats);
    if (after) store.holdWritesUntil(after.drained());
    return store;
  }

  /** Resolves once every write queued so far has completed or failed. */
  private drained(): Promise<void> {
    if (!this.writing && this.queued.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private holdWritesUntil(before: Promise<void>): void {
    this.writing = true;
    void before.then(() => {
      this.writing = false;
      this.writeQueued();
    });
  }

  /**
   * One write in flight per file: appends that arrive meanwhile wait and go out together as one
   * `pwritev` when it completes. Concurrent pwrites to one file serialise on its inode lock in the
   * kernel anyway, and the threads of the pool spun on that lock (a fifth of the broker's CPU on 1 KiB
   * produce, measured with perf); one writer and fewer system calls cost nothing of the throughput.
   */
  write(buf: Buffer, position: number): Promise<void> {
    if (position + buf.length > this.size) this.size = position + buf.length;
    this.stats.writes++;
    this.stats.bytesWritten += buf.length;
    return new Promise((resolve, reject) => {
      this.queued.push({ buf, position, resolve, reject });
      if (!this.writing) this.writeQueued();
    });
  }

  /** Writes the queued appends that continue one another from the first, as one pwritev. */
  private writeQueued(): void {
    const first = this.queued[0];
    if (!first) {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
      return;
    }
    let end = first.position + first.buf.length;
    let count = 1;
    while (count < this.queued.length && count < MAX_IOVECS && this.queued[count].position === end) {
      end += this.queued[count].buf.length;
      count++;
    }
    const batch = this.queued.splice(0, count);
    this.writing = true;
    writevFully(
      this.fd,
      batch.map((w) => w.buf),
      first.position,
      (err) => {
        this.writing = false;
        for (const w of batch) {
          if (err) w.reject(new StorageIoError(`writing ${this.path}`, err));
          else w.resolve();
        }
        this.writeQueued();
      },
    );
  }

  readSync(position: number, length: number, alloc?: Allocator): Buffer {
    const want = Math.max(0, Math.min(length, this.size - position));
    const buf = alloc ? alloc(want).subarray(0, want) : Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const n = fs.readSync(this.fd, buf, got, want - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got === want ? buf : buf.subarray(0, got);
  }

  sync(): Promise<void> {
    this.stats.fsyncs++;
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.fd, (err) =>
        err ? reject(new StorageIoError(`syncing ${this.path}`, err)) : resolve(),
      );
    });
  }

  async truncate(size: number): Promise<void> {
    fs.ftruncateSync(this.fd, size);
    this.size = size;
  }

  async close(): Promise<void> {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
  }

  async remove(): Promise<void> {
    await this.close();
    await fs.promises.rm(this.path, { force: true });
  }
}

/** fsyncs a directory so a file created or renamed in it survives a power loss. */
export function syncDirSync(dir: string, stats?: StorageStats): void {
  if (stats) stats.dirFsyncs++;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a small file atomically: temp file, fsync, rename over the target, fsync the directory. */
export function writeFileAtomicSync(path: string, data: string | Buffer, stats?: StorageStats): void {
  const tmp = `${path}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  syncDirSync(path.slice(0, path.lastIndexOf('/')) || '/', stats);
}
