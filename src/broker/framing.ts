/**
 * Kafka frames are an int32 size followed by that many bytes. TCP delivers them split across chunks or
 * several per chunk; this reassembles whole frames without copying when a frame sits in one chunk.
 *
 * Two ways in: {@link FrameReader.push} takes chunks Node allocated (TLS, tests), and
 * {@link FrameReader.readTarget} / {@link FrameReader.received} let the socket read into buffers the
 * reader owns (see connection-reads.ts). Node gives every socket read a fresh 64 KiB allocation, and
 * at hundreds of MiB/s of produce that external memory set off a mark-compact GC every ~17 MiB (40% of
 * the broker's CPU on 1 KiB produce); reading into one reused scratch buffer, and the body of a large
 * frame straight into its pooled frame buffer, allocates nothing per read and copies a large frame
 * not at all.
 */
export class FrameError extends Error {
  override name = 'FrameError';
}

/** Where a frame that spans chunks is reassembled: a recycling pool (see storage/read-buffers.ts). */
export interface FrameBuffers {
  /** A buffer of at least `size` bytes. */
  take(size: number): Buffer;
  /** Gives back a buffer from take() that nothing refers to any more. */
  give(buf: Buffer): void;
}

/** Bytes left in a frame's body from which reads go straight into the frame buffer, not the scratch. */
const DIRECT_READ_MIN = 16 * 1024;
/** The buffer reads land in between frame bodies (and for small frames), copied out at once. */
const SCRATCH_BYTES = 64 * 1024;

/** A frame being filled by {@link FrameReader.received}: its size prefix included. */
interface Assembling {
  /** Taken once the frame's second read arrives (see copyIn); until then its first bytes are in `early`. */
  buf?: Buffer;
  early?: Buffer;
  /** The whole frame's bytes, prefix included. */
  total: number;
  /** Bytes received so far, prefix included. */
  filled: number;
  /** Set when `buf` came from the frame buffers (and may go back to them). */
  pooled: boolean;
}

export class FrameReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private pooled: Buffer | undefined;
  /** Whole frames assembled in pooled buffers, by the chunk that is their view (own-buffer reads). */
  private readonly owners = new Map<Buffer, Buffer>();
  private scratch: Buffer | undefined;
  /** The size prefix of the next frame while it is incomplete (own-buffer reads). */
  private readonly head = Buffer.alloc(4);
  private headFilled = 0;
  private assembling: Assembling | undefined;
  /** A size prefix refused while reading into own buffers; reported by the next {@link nextSize}. */
  private refusedSize: number | undefined;
  private maxFrameBytes: number;
  /** What sets the limit in force, for the error message. */
  private limitSource = "--max-request-bytes, Kafka's socket.request.max.bytes";

  constructor(
    private readonly defaultMaxFrameBytes: number,
    private readonly buffers?: FrameBuffers,
  ) {
    this.maxFrameBytes = defaultMaxFrameBytes;
  }

  /**
   * A tighter limit for a while (`source` says why, in the error), e.g. before SASL authentication;
   * undefined restores the configured one.
   */
  limit(maxFrameBytes: number | undefined, source?: string): void {
    this.maxFrameBytes = maxFrameBytes ?? this.defaultMaxFrameBytes;
    this.limitSource = source ?? "--max-request-bytes, Kafka's socket.request.max.bytes";
  }

  /**
   * The pooled buffer the frame last returned by {@link next} was reassembled in (undefined when it
   * is a view of a received chunk). Its owner may give it back once nothing refers to the frame.
   */
  takePooled(): Buffer | undefined {
    const b = this.pooled;
    this.pooled = undefined;
    return b;
  }

  /**
   * The connection is gone: pooled buffers of frames not yet returned (the one being filled included)
   * go back to the pool at once, instead of holding their pages until a GC finds them.
   */
  discard(): void {
    if (this.assembling?.pooled && this.assembling.buf) this.buffers?.give(this.assembling.buf);
    for (const buf of this.owners.values()) this.buffers?.give(buf);
    this.assembling = undefined;
    this.owners.clear();
    this.chunks = [];
    this.length = 0;
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /**
   * Where the socket's next read should land: the rest of a large frame's body (so its bytes are
   * never copied), else the reader's scratch buffer. Pass the same buffer to {@link received}.
   */
  readTarget(): Buffer {
    const a = this.assembling;
    if (a?.buf && a.total - a.filled >= DIRECT_READ_MIN) return a.buf.subarray(a.filled, a.total);
    this.scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES);
    return this.scratch;
  }

  /** `n` bytes were read into `target` (from {@link readTarget}); the scratch is free again on return. */
  received(n: number, target: Buffer): void {
    if (n <= 0 || this.refusedSize !== undefined) return;
    this.length += n;
    const a = this.assembling;
    if (a?.buf && target !== this.scratch) {
      a.filled += n;
      if (a.filled === a.total) this.completeAssembly(a);
      return;
    }
    let from = 0;
    while (from < n && this.refusedSize === undefined) from = this.copyIn(target, from, n);
  }

  /** Copies what it can of `src[from, end)` into the frame being assembled (or its prefix); returns the new `from`. */
  private copyIn(src: Buffer, from: number, end: number): number {
    let a = this.assembling;
    if (!a) {
      const k = Math.min(4 - this.headFilled, end - from);
      src.copy(this.head, this.headFilled, from, from + k);
      this.headFilled += k;
      if (this.headFilled < 4) return from + k;
      this.headFilled = 0;
      a = this.startAssembly(this.head.readInt32BE(0));
      if (!a) return end;
      from += k;
    }
    const k = Math.min(a.total - a.filled, end - from);
    if (!a.buf) {
      // The read that brought a large frame's prefix: keep its bytes aside and take the frame buffer on
      // the next read, which comes only if the connection goes on reading (its request memory granted).
      if (!a.early && k < a.total - a.filled) {
        a.early = Buffer.from(src.subarray(from, from + k));
        a.filled += k;
        return from + k;
      }
      this.allocateFrame(a);
    }
    src.copy(a.buf!, a.filled, from, from + k);
    a.filled += k;
    if (a.filled === a.total) this.completeAssembly(a);
    return from + k;
  }

  /** Starts a frame whose prefix just arrived; an invalid size stops the reading ({@link nextSize} reports it). */
  private startAssembly(size: number): Assembling | undefined {
    if (size < 0 || size > this.maxFrameBytes) {
      this.refusedSize = size;
      return undefined;
    }
    this.assembling = { total: 4 + size, filled: 4, pooled: false };
    return this.assembling;
  }

  /** The frame's own buffer: pooled when large, so a Produce request's buffer can be reused. */
  private allocateFrame(a: Assembling): void {
    a.pooled = this.buffers !== undefined && a.total >= DIRECT_READ_MIN;
    a.buf = a.pooled ? this.buffers!.take(a.total) : Buffer.allocUnsafe(a.total);
    a.buf.writeInt32BE(a.total - 4, 0);
    if (a.early) a.early.copy(a.buf, 4);
    a.early = undefined;
  }

  private completeAssembly(a: Assembling): void {
    const frame = a.buf!.subarray(0, a.total);
    this.chunks.push(frame);
    if (a.pooled) this.owners.set(frame, a.buf!);
    this.assembling = undefined;
  }

  /**
   * The next whole frame (without its size prefix), or null if more bytes are needed. Throws a
   * FrameError as soon as the size prefix is readable and invalid, before the body arrives.
   */
  next(): Buffer | null {
    this.pooled = undefined;
    const size = this.nextSize();
    if (size === null || this.length < 4 + size) return null;
    return this.take(4 + size).subarray(4);
  }

  /**
   * The size of the frame at the head (without its prefix) once the prefix is readable, else null; throws
   * a FrameError when it is invalid. Lets the caller reserve memory before the body arrives.
   */
  nextSize(): number | null {
    if (this.refusedSize !== undefined && this.chunks.length === 0) this.refuse(this.refusedSize);
    if (this.length < 4) return null;
    const size = this.peekSize();
    if (size < 0 || size > this.maxFrameBytes) this.refuse(size);
    return size;
  }

  private refuse(size: number): never {
    throw new FrameError(
      size < 0
        ? `frame size ${size} is negative`
        : `frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes} (${this.limitSource})`,
    );
  }

  private peekSize(): number {
    if (this.chunks.length === 0 && this.assembling) return this.assembling.total - 4;
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.alloc(4);
    let filled = 0;
    for (const c of this.chunks) {
      const n = Math.min(4 - filled, c.length);
      c.copy(head, filled, 0, n);
      filled += n;
      if (filled === 4) break;
    }
    return head.readInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    this.length -= n;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      this.pooled = this.owners.get(first);
      if (this.pooled) this.owners.delete(first);
      return first;
    }
    // A large frame spans many 64 KiB reads: reassembling it in a fresh allocation costs page faults
    // and GC pressure for every produce request, so a pooled buffer is used when one is offered.
    let out: Buffer;
    if (this.buffers) {
      this.pooled = this.buffers.take(n);
      out = this.pooled.subarray(0, n);
    } else out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const want = n - filled;
      if (c.length <= want) {
        c.copy(out, filled);
        filled += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, filled, 0, want);
        this.chunks[0] = c.subarray(want);
        filled += want;
      }
    }
    return out;
  }
}
