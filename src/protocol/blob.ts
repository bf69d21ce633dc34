/**
 * Kafka's classic (non-flexible) encoding inside opaque payloads: the "consumer" protocol's member
 * metadata and assignments, and `__consumer_offsets` keys and values. Big-endian int16/int32/int64,
 * int16-length strings (-1 = null), int32-length bytes (-1 = null) and int32-counted arrays. One
 * reader and one writer serve every such payload; each caller names its own error, so a bad blob is
 * reported in the caller's terms.
 */

/** Builds the error for a blob that ends before `needed` more bytes at `offset` (of `length`). */
type TruncatedError = (needed: number, offset: number, length: number) => Error;

export class BlobReader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly truncated: TruncatedError,
  ) {}

  /** True while bytes are left (newer versions append fields some writers leave out). */
  more(): boolean {
    return this.pos < this.buf.length;
  }

  /** Throws the caller's error unless `n` more bytes are there. */
  need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw this.truncated(n, this.pos, this.buf.length);
  }

  int8(): number {
    this.need(1);
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.need(len);
    const v = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return v;
  }

  /** A null string reads as ''. */
  string(): string {
    return this.nullableString() ?? '';
  }

  /** `copy`: detach the bytes from the blob, for values kept after the blob is gone. */
  nullableBytes(copy: boolean): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    this.need(len);
    const view = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return copy ? Buffer.from(view) : view;
  }

  /**
   * An int32-counted array (a negative count reads as empty). `minItemBytes` > 0 refuses a count the
   * remaining bytes cannot hold before allocating anything: a corrupt count is not a huge array.
   */
  array<T>(item: () => T, minItemBytes = 0): T[] {
    const n = this.int32();
    if (n < 0) return [];
    if (minItemBytes > 0) this.need(Math.min(n * minItemBytes, this.buf.length + 1));
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  }
}

export class BlobWriter {
  private readonly parts: Buffer[] = [];

  /** `tooLong` names the error for a string longer than an int16 length allows. */
  constructor(private readonly tooLong: (bytes: number) => Error = blobStringTooLong) {}

  int8(v: number): this {
    const b = Buffer.allocUnsafe(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }

  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }

  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }

  int64(v: bigint | number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }

  /** null is written as length -1. */
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const s = Buffer.from(v, 'utf8');
    if (s.length > 0x7fff) throw this.tooLong(s.length);
    this.int16(s.length);
    this.parts.push(s);
    return this;
  }

  /** null is written as length -1. */
  bytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    this.int32(v.length);
    this.parts.push(v);
    return this;
  }

  array<T>(items: readonly T[], write: (item: T) => void): this {
    this.int32(items.length);
    for (const item of items) write(item);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function blobStringTooLong(bytes: number): Error {
  return new RangeError(`string of ${bytes} bytes exceeds 32767, the most an int16 length can say`);
}
