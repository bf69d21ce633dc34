/**
 * The record formats of Kafka's internal `__consumer_offsets` topic, byte for byte as Kafka writes them
 * (apache/kafka group-coordinator `OffsetCommitKey/Value`, `GroupMetadataKey/Value` schemas). Tools that
 * read that topic directly (Burrow 1.2.1 does) decode these bytes themselves, so the layout is the
 * contract: int16 schema version first, int16-length strings, int32-length bytes, int32-counted arrays.
 *
 * We write offset commits as key v1 + value v3 (value v1 when the commit carries an explicit expiry) and
 * group metadata as key v2 + value v1: the newest versions Burrow 1.2.1 accepts. We read every
 * non-flexible version (0-3) so a topic written by another writer still replays.
 */

export interface OffsetCommitKey {
  kind: 'offset';
  group: string;
  topic: string;
  partition: number;
}

export interface GroupMetadataKey {
  kind: 'group';
  group: string;
}

export type OffsetsTopicKey = OffsetCommitKey | GroupMetadataKey;

export interface OffsetCommitValue {
  offset: number;
  /** -1 when unknown (value versions before 3 have no leader epoch). */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** -1 unless the committer asked for an explicit retention (value v1). */
  expireTimestamp: number;
}

export interface GroupMemberRecord {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** -1 when unknown (value versions before 2). */
  currentStateTimestamp: number;
  members: GroupMemberRecord[];
}

export class OffsetsTopicFormatError extends Error {
  override name = 'OffsetsTopicFormatError';
}

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const GROUP_VALUE_VERSION = 1;

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer();
  w.int16(OFFSET_KEY_VERSION).string(group).string(topic).int32(partition);
  return w.done();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new Writer().int16(GROUP_KEY_VERSION).string(group).done();
}

/** Value v3 normally; v1 when an explicit expiry must be kept (v3 has no field for it). */
export function encodeOffsetCommitValue(value: OffsetCommitValue): Buffer {
  const w = new Writer();
  if (value.expireTimestamp >= 0) {
    w.int16(1)
      .int64(value.offset)
      .string(value.metadata)
      .int64(value.commitTimestamp)
      .int64(value.expireTimestamp);
  } else {
    w.int16(3)
      .int64(value.offset)
      .int32(value.leaderEpoch)
      .string(value.metadata)
      .int64(value.commitTimestamp);
  }
  return w.done();
}

export function encodeGroupMetadataValue(value: GroupMetadataValue): Buffer {
  const w = new Writer();
  w.int16(GROUP_VALUE_VERSION)
    .string(value.protocolType)
    .int32(value.generation)
    .nullableString(value.protocol)
    .nullableString(value.leader)
    .int32(value.members.length);
  for (const m of value.members) {
    w.string(m.memberId)
      .string(m.clientId)
      .string(m.clientHost)
      .int32(m.rebalanceTimeoutMs)
      .int32(m.sessionTimeoutMs)
      .bytes(m.subscription)
      .bytes(m.assignment);
  }
  return w.done();
}

export function decodeOffsetsTopicKey(buf: Buffer): OffsetsTopicKey {
  const r = new Reader(buf, 'key');
  const version = r.int16();
  if (version === 0 || version === 1) {
    return { kind: 'offset', group: r.string(), topic: r.string(), partition: r.int32() };
  }
  if (version === 2) return { kind: 'group', group: r.string() };
  throw new OffsetsTopicFormatError(
    `__consumer_offsets key has schema version ${version}; only 0-1 (offset commit) and 2 (group metadata) exist`,
  );
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf, 'offset commit value');
  const version = r.int16();
  switch (version) {
    case 0:
    case 2:
      return {
        offset: r.int64(),
        leaderEpoch: -1,
        metadata: r.string(),
        commitTimestamp: r.int64(),
        expireTimestamp: -1,
      };
    case 1:
      return {
        offset: r.int64(),
        leaderEpoch: -1,
        metadata: r.string(),
        commitTimestamp: r.int64(),
        expireTimestamp: r.int64(),
      };
    case 3:
      return {
        offset: r.int64(),
        leaderEpoch: r.int32(),
        metadata: r.string(),
        commitTimestamp: r.int64(),
        expireTimestamp: -1,
      };
    default:
      throw new OffsetsTopicFormatError(
        `offset commit value has schema version ${version}; Sluice reads versions 0-3`,
      );
  }
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf, 'group metadata value');
  const version = r.int16();
  if (version < 0 || version > 3) {
    throw new OffsetsTopicFormatError(
      `group metadata value has schema version ${version}; Sluice reads versions 0-3`,
    );
  }
  const protocolType = r.string();
  const generation = r.int32();
  const protocol = r.nullableString();
  const leader = r.nullableString();
  const currentStateTimestamp = version >= 2 ? r.int64() : -1;
  const count = r.int32();
  if (count < 0) throw new OffsetsTopicFormatError('group metadata value has a negative member count');
  const members: GroupMemberRecord[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = r.string();
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    const clientId = r.string();
    const clientHost = r.string();
    const sessionOrRebalance = r.int32();
    const rebalanceTimeoutMs = version >= 1 ? sessionOrRebalance : -1;
    const sessionTimeoutMs = version >= 1 ? r.int32() : sessionOrRebalance;
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs,
      subscription: r.bytes(),
      assignment: r.bytes(),
    });
  }
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}

/** Kafka's partition choice for a group: `abs(groupId.hashCode) % partitions` with Java's String hash. */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0;
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0 by masking the sign bit.
  return (hash & 0x7fffffff) % partitions;
}

class Writer {
  private parts: Buffer[] = [];

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

  int64(v: number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }

  string(v: string): this {
    const s = Buffer.from(v, 'utf8');
    if (s.length > 0x7fff) throw new OffsetsTopicFormatError(`string of ${s.length} bytes exceeds 32767`);
    this.int16(s.length);
    this.parts.push(s);
    return this;
  }

  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    return this.string(v);
  }

  bytes(v: Buffer): this {
    this.int32(v.length);
    this.parts.push(v);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
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
      throw new OffsetsTopicFormatError(
        `${this.what} is truncated: needs ${n} more bytes at offset ${this.pos} of ${this.buf.length}`,
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

  int64(): number {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return Number(v);
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

  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) return Buffer.alloc(0);
    this.need(len);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return v;
  }
}
