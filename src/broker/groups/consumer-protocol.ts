/**
 * The "consumer" protocol type's member blobs (apache/kafka `ConsumerProtocolSubscription` and
 * `ConsumerProtocolAssignment`). The coordinator relays them as opaque bytes; these decoders exist so
 * the broker's own tools (and the lag monitor) can say which member owns which partitions. Every
 * client here writes versions 0-3, which are not flexible: int16 version, int32-counted arrays,
 * int16-length strings, int32-length nullable bytes; newer fields are simply appended.
 */

import { BlobReader, BlobWriter } from '../../protocol/blob.js';
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
  const r = reader(buf, 'consumer subscription');
  const version = r.int16();
  if (version < 0) throw new ConsumerProtocolError(`consumer subscription has negative version ${version}`);
  const topics = r.array(() => r.string(), MIN_ITEM_BYTES);
  const userData = r.nullableBytes(true);
  const ownedPartitions = version >= 1 && r.more() ? r.array(() => topicPartitions(r), MIN_ITEM_BYTES) : [];
  const generationId = version >= 2 && r.more() ? r.int32() : -1;
  const rackId = version >= 3 && r.more() ? r.nullableString() : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

export function decodeConsumerAssignment(buf: Buffer): ConsumerAssignment {
  // An empty blob is what the coordinator gives members the leader assigned nothing.
  if (buf.length === 0) return { version: 0, assigned: [], userData: null };
  const r = reader(buf, 'consumer assignment');
  const version = r.int16();
  if (version < 0) throw new ConsumerProtocolError(`consumer assignment has negative version ${version}`);
  const assigned = r.array(() => topicPartitions(r), MIN_ITEM_BYTES);
  const userData = r.more() ? r.nullableBytes(true) : null;
  return { version, assigned, userData };
}

/** Assignment v0 as a leader writes it (used by tests and tools that assign by hand). */
export function encodeConsumerAssignment(
  assigned: TopicPartitions[],
  userData: Buffer | null = null,
): Buffer {
  const w = new BlobWriter().int16(0);
  w.array(assigned, (tp) => w.string(tp.topic).array(tp.partitions, (p) => w.int32(p)));
  return w.bytes(userData).done();
}

function reader(buf: Buffer, what: string): BlobReader {
  return new BlobReader(
    buf,
    (needed, offset, length) =>
      new ConsumerProtocolError(
        `${what} is truncated: needs ${needed} bytes at offset ${offset} of ${length}`,
      ),
  );
}

/** Each element takes at least two bytes: a count beyond that is corruption, not a huge array. */
const MIN_ITEM_BYTES = 2;

function topicPartitions(r: BlobReader): TopicPartitions {
  return { topic: r.string(), partitions: r.array(() => r.int32(), MIN_ITEM_BYTES) };
}
