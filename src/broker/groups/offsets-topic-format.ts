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

import { BlobReader, BlobWriter } from '../../protocol/blob.js';

interface OffsetCommitKey {
  kind: 'offset';
  group: string;
  topic: string;
  partition: number;
}

interface GroupMetadataKey {
  kind: 'group';
  group: string;
}

type OffsetsTopicKey = OffsetCommitKey | GroupMetadataKey;

export interface OffsetCommitValue {
  offset: number;
  /** -1 when unknown (value versions before 3 have no leader epoch). */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** -1 unless the committer asked for an explicit retention (value v1). */
  expireTimestamp: number;
}

interface GroupMemberRecord {
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
  const w = writer();
  w.int16(OFFSET_KEY_VERSION).string(group).string(topic).int32(partition);
  return w.done();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return writer().int16(GROUP_KEY_VERSION).string(group).done();
}

/** Value v3 normally; v1 when an explicit expiry must be kept (v3 has no field for it). */
export function encodeOffsetCommitValue(value: OffsetCommitValue): Buffer {
  const w = writer();
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
  const w = writer();
  w.int16(GROUP_VALUE_VERSION)
    .string(value.protocolType)
    .int32(value.generation)
    .string(value.protocol)
    .string(value.leader)
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
  const r = reader(buf, 'key');
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
  const r = reader(buf, 'offset commit value');
  const version = r.int16();
  switch (version) {
    case 0:
    case 2:
      return {
        offset: Number(r.int64()),
        leaderEpoch: -1,
        metadata: r.string(),
        commitTimestamp: Number(r.int64()),
        expireTimestamp: -1,
      };
    case 1:
      return {
        offset: Number(r.int64()),
        leaderEpoch: -1,
        metadata: r.string(),
        commitTimestamp: Number(r.int64()),
        expireTimestamp: Number(r.int64()),
      };
    case 3:
      return {
        offset: Number(r.int64()),
        leaderEpoch: r.int32(),
        metadata: r.string(),
        commitTimestamp: Number(r.int64()),
        expireTimestamp: -1,
      };
    default:
      throw new OffsetsTopicFormatError(
        `offset commit value has schema version ${version}; Sluice reads versions 0-3`,
      );
  }
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = reader(buf, 'group metadata value');
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
  const currentStateTimestamp = version >= 2 ? Number(r.int64()) : -1;
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
      subscription: r.nullableBytes(true) ?? Buffer.alloc(0),
      assignment: r.nullableBytes(true) ?? Buffer.alloc(0),
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

function writer(): BlobWriter {
  return new BlobWriter((bytes) => new OffsetsTopicFormatError(`string of ${bytes} bytes exceeds 32767`));
}

function reader(buf: Buffer, what: string): BlobReader {
  return new BlobReader(
    buf,
    (needed, offset, length) =>
      new OffsetsTopicFormatError(
        `${what} is truncated: needs ${needed} more bytes at offset ${offset} of ${length}`,
      ),
  );
}
