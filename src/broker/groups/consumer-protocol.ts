/**
 * The "consumer" protocol type's member blobs (apache/kafka `ConsumerProtocolSubscription` and
 * `ConsumerProtocolAssignment`). The coordinator relays them as opaque bytes; these decoders exist so
 * the broker's own tools (and the lag monitor) can say which member owns which partitions. Every
 * client here writes versions 0-3, which are not flexible: int16 version, int32-counted arrays,
 * int16-length strings, int32-length nullable bytes; newer fields are simply appended.
 */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerSubscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  /** v1+ */
  ownedPartitions: TopicPartitions[];
  /** v2+, -1 otherwise */
  generationId: number;
  /** v3+ */
  rackId: string | null;
}

export interface ConsumerAssignment {
  version: number;
  assigned: TopicPartitions[];
  userData: Buffer | null;
}

export class ConsumerProtocolError extends Error {
  override name = 'ConsumerProtocolError';
}

export function decodeConsumerSubscription(buf: Buffer): ConsumerSubscription {
  const r = new BlobReader(buf, 'consumer subscription');
  const version = r.int16();
  if (version < 0) throw new ConsumerProtocolError(`consumer subscription has negative version ${version}`);
  const topics = r.array(() => r.string());
  const userData = r.nullableBytes();
  const ownedPartitions = version >= 1 && r.more() ? r.array(() => r.topicPartitions()) : [];
  const generationId = version >= 2 && r.more() ? r.int32() : -1;
  const rackId = version >= 3 && r.more() ? r.nullableString() : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

export function decodeConsumerAssignment(buf: Buffer): ConsumerAssignment {
  // An empty blob is what the coordinator gives members the leader assigned nothing.
  if (buf.length === 0) return { version: 0, assigned: [], userData: null };
  const r = new BlobReader(buf, 'consumer assignment');
  const version = r.int16();
  if (version < 0) throw new ConsumerProtocolError(`consumer assignment has negative version ${version}`);
  const assigned = r.array(() => r.topicPartitions());
  const userData = r.more() ? r.nullableBytes() : null;
  return { version, assigned, userData };
}

/** Assignment v0 as a leader writes it (used by tests and tools that assign by hand). */
export function encodeConsumerAssignment(
  assigned: TopicPartitions[],
  userData: Buffer | null = null,
): Buffer {
  const parts: Buffer[] = [int16(0), int32(assigned.length)];
  for (const tp of assigned) {
    const name = Buffer.from(tp.topic, 'utf8');
    parts.push(int16(name.length), name, int32(tp.partitions.length), ...tp.partitions.map(int32));
  }
  parts.push(userData === null ? int32(-1) : Buffer.concat([int32(userData.length), userData]));
  return Buffer.concat(parts);
}

function int16(v: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeInt16BE(v);
  return b;
}

function int32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(v);
  return b;
}

class BlobReader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  more(): boolean {
    return this.pos < this.buf.length;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new ConsumerProtocolError(
        `${this.what} is truncated: needs ${n} bytes at offset ${this.pos} of ${this.buf.length}`,
      );
    }
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

  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.need(len);
    const v = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return v;
  }

  string(): string {
    return this.nullableString() ?? '';
  }

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    this.need(len);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return v;
  }

  array<T>(item: () => T): T[] {
    const n = this.int32();
    if (n < 0) return [];
    // Each element takes at least two bytes: a count beyond that is corruption, not a huge array.
    this.need(Math.min(n * 2, this.buf.length + 1));
    return Array.from({ length: n }, item);
  }

  topicPartitions(): TopicPartitions {
    return { topic: this.string(), partitions: this.array(() => this.int32()) };
  }
}
