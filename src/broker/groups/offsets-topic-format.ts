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

import { definePayload } from '../../protocol/payload.js';
import { f } from '../../protocol/schema.js';

export class OffsetsTopicFormatError extends Error {
  override name = 'OffsetsTopicFormatError';
}

const format = { error: (message: string) => new OffsetsTopicFormatError(message) };

const OffsetCommitKey = definePayload(
  {
    name: 'offset commit key',
    versions: '0-1',
    fields: [f('group', 'string', '0+'), f('topic', 'string', '0+'), f('partition', 'int32', '0+')],
  },
  format,
);

const GroupMetadataKey = definePayload(
  { name: 'group metadata key', versions: '2', fields: [f('group', 'string', '2')] },
  format,
);

const OffsetCommitValueFormat = definePayload(
  {
    name: 'offset commit value',
    versions: '0-3',
    fields: [
      f('offset', 'int64', '0+'),
      f('leaderEpoch', 'int32', '3+', { default: -1 }),
      f('metadata', 'string', '0+'),
      f('commitTimestamp', 'int64', '0+'),
      f('expireTimestamp', 'int64', '1', { default: -1n }),
    ],
  },
  format,
);

const GroupMetadataValueFormat = definePayload(
  {
    name: 'group metadata value',
    versions: '0-3',
    fields: [
      f('protocolType', 'string', '0+'),
      f('generation', 'int32', '0+'),
      f('protocol', 'string', '0+', { nullable: '0+' }),
      f('leader', 'string', '0+', { nullable: '0+' }),
      f('currentStateTimestamp', 'int64', '2+', { default: -1n }),
      f('members', '[]struct', '0+', {
        fields: [
          f('memberId', 'string', '0+'),
          f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
          f('clientId', 'string', '0+'),
          f('clientHost', 'string', '0+'),
          f('rebalanceTimeout', 'int32', '1+', { default: -1 }),
          f('sessionTimeout', 'int32', '0+'),
          f('subscription', 'bytes', '0+', { nullable: '0+' }),
          f('assignment', 'bytes', '0+', { nullable: '0+' }),
        ],
      }),
    ],
  },
  format,
);

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

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const GROUP_VALUE_VERSION = 1;

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return OffsetCommitKey.encode(OFFSET_KEY_VERSION, { group, topic, partition });
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return GroupMetadataKey.encode(GROUP_KEY_VERSION, { group });
}

/** Value v3 normally; v1 when an explicit expiry must be kept (v3 has no field for it). */
export function encodeOffsetCommitValue(value: OffsetCommitValue): Buffer {
  return OffsetCommitValueFormat.encode(value.expireTimestamp >= 0 ? 1 : 3, {
    offset: BigInt(value.offset),
    leaderEpoch: value.leaderEpoch,
    metadata: value.metadata,
    commitTimestamp: BigInt(value.commitTimestamp),
    expireTimestamp: BigInt(value.expireTimestamp),
  });
}

export function encodeGroupMetadataValue(value: GroupMetadataValue): Buffer {
  return GroupMetadataValueFormat.encode(GROUP_VALUE_VERSION, {
    protocolType: value.protocolType,
    generation: value.generation,
    protocol: value.protocol,
    leader: value.leader,
    members: value.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: m.subscription,
      assignment: m.assignment,
    })),
  });
}

export function decodeOffsetsTopicKey(buf: Buffer): OffsetsTopicKey {
  const version = buf.length >= 2 ? buf.readInt16BE(0) : -1;
  if (version === 0 || version === 1) {
    const { group, topic, partition } = OffsetCommitKey.decode(buf);
    return { kind: 'offset', group, topic, partition };
  }
  if (version === 2) return { kind: 'group', group: GroupMetadataKey.decode(buf).group };
  throw new OffsetsTopicFormatError(
    `__consumer_offsets key has schema version ${version}; only 0-1 (offset commit) and 2 (group metadata) exist`,
  );
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const v = OffsetCommitValueFormat.decode(buf);
  return {
    offset: Number(v.offset),
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestamp: Number(v.commitTimestamp),
    expireTimestamp: Number(v.expireTimestamp),
  };
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const v = GroupMetadataValueFormat.decode(buf);
  return {
    protocolType: v.protocolType,
    generation: v.generation,
    protocol: v.protocol,
    leader: v.leader,
    currentStateTimestamp: Number(v.currentStateTimestamp),
    members: v.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? null,
      clientId: m.clientId,
      clientHost: m.clientHost,
      // v0 has only a session timeout, which then serves as the rebalance timeout too.
      rebalanceTimeoutMs: (m.rebalanceTimeout ?? -1) < 0 ? m.sessionTimeout : (m.rebalanceTimeout ?? -1),
      sessionTimeoutMs: m.sessionTimeout,
      // Copied: the coordinator keeps them, and the log's read buffers are reused.
      subscription: Buffer.from(m.subscription ?? EMPTY),
      assignment: Buffer.from(m.assignment ?? EMPTY),
    })),
  };
}

const EMPTY = Buffer.alloc(0);

/** Kafka's partition choice for a group: `abs(groupId.hashCode) % partitions` with Java's String hash. */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0;
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0 by masking the sign bit.
  return (hash & 0x7fffffff) % partitions;
}
