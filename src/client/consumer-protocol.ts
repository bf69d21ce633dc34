/**
 * The opaque member blobs of the "consumer" group protocol: ConsumerProtocolSubscription (JoinGroup
 * metadata) and ConsumerProtocolAssignment (SyncGroup assignment). Both are an int16 version followed
 * by non-flexible fields; newer versions only append fields, so a reader takes what it knows.
 */

export interface Subscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  /** v1+: partitions the member owned before this rebalance. */
  ownedPartitions: TopicPartitions[];
  /** v2+ */
  generationId: number;
  /** v3+ */
  rackId: string | null;
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface Assignment {
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

export class ConsumerProtocolError extends Error {
  override name = 'ConsumerProtocolError';
}

class Writer {
  private chunks: Buffer[] = [];
  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    this.chunks.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.chunks.push(b);
    return this;
  }
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const body = Buffer.from(s, 'utf8');
    this.int16(body.length);
    this.chunks.push(body);
    return this;
  }
  bytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    this.int32(b.length);
    this.chunks.push(b);
    return this;
  }
  array<T>(items: readonly T[], write: (w: this, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) write(this, item);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

class Reader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new ConsumerProtocolError(
        `${this.what} is truncated (needs ${n} more bytes at offset ${this.pos} of ${this.buf.length}); ` +
          'a member sent metadata that is not the "consumer" protocol format',
      );
    }
  }
  atEnd(): boolean {
    return this.pos >= this.buf.length;
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
  string(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  bytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    this.need(len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  array<T>(read: (r: this) => T): T[] {
    const n = this.int32();
    if (n < 0) return [];
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(read(this));
    return out;
  }
}

const writeTopicPartitions = (w: Writer, tp: TopicPartitions) =>
  w.string(tp.topic).array(tp.partitions, (ww, p) => ww.int32(p));
const readTopicPartitions = (r: Reader): TopicPartitions => ({
  topic: r.string() ?? '',
  partitions: r.array((rr) => rr.int32()),
});

export function encodeSubscription(s: Partial<Subscription> & { topics: string[] }): Buffer {
  const version = s.version ?? 0;
  const w = new Writer().int16(version);
  w.array(s.topics, (ww, t) => ww.string(t));
  w.bytes(s.userData ?? Buffer.alloc(0));
  if (version >= 1) w.array(s.ownedPartitions ?? [], writeTopicPartitions);
  if (version >= 2) w.int32(s.generationId ?? -1);
  if (version >= 3) w.string(s.rackId ?? null);
  return w.done();
}

export function decodeSubscription(buf: Buffer): Subscription {
  const r = new Reader(buf, 'ConsumerProtocolSubscription');
  const version = r.int16();
  if (version < 0)
    throw new ConsumerProtocolError(`ConsumerProtocolSubscription version ${version} is invalid`);
  const topics = r.array((rr) => rr.string() ?? '');
  const userData = r.bytes();
  const out: Subscription = {
    version,
    topics,
    userData,
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  };
  // Some clients write v1+ headers but stop early; take what is there.
  if (version >= 1 && !r.atEnd()) out.ownedPartitions = r.array(readTopicPartitions);
  if (version >= 2 && !r.atEnd()) out.generationId = r.int32();
  if (version >= 3 && !r.atEnd()) out.rackId = r.string();
  return out;
}

export function encodeAssignment(a: Partial<Assignment> & { assignedPartitions: TopicPartitions[] }): Buffer {
  return new Writer()
    .int16(a.version ?? 0)
    .array(a.assignedPartitions, writeTopicPartitions)
    .bytes(a.userData ?? Buffer.alloc(0))
    .done();
}

/** An empty buffer is a valid "nothing assigned" (what the coordinator sends a member it gave nothing). */
export function decodeAssignment(buf: Buffer): Assignment {
  if (buf.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  const r = new Reader(buf, 'ConsumerProtocolAssignment');
  const version = r.int16();
  const assignedPartitions = r.array(readTopicPartitions);
  const userData = r.atEnd() ? null : r.bytes();
  return { version, assignedPartitions, userData };
}
