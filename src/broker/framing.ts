/**
 * Kafka frames are an int32 size followed by that many bytes. TCP delivers them split across chunks or
 * several per chunk; this reassembles whole frames without copying when a frame sits in one chunk.
 */
export class FrameError extends Error {
  override name = 'FrameError';
}

/** Where a frame that spans chunks is reassembled: a recycling pool (see storage/read-buffers.ts). */
export interface FrameBuffers {
  /** A buffer of at least `size` bytes. */
  take(size: number): Buffer;
}

export class FrameReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private pooled: Buffer | undefined;
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
    if (this.length < 4) return null;
    const size = this.peekSize();
    if (size < 0 || size > this.maxFrameBytes) {
      throw new FrameError(
        size < 0
          ? `frame size ${size} is negative`
          : `frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes} (${this.limitSource})`,
      );
    }
    return size;
  }

  private peekSize(): number {
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
