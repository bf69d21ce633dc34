/**
 * The opaque member blobs of the "consumer" group protocol: ConsumerProtocolSubscription (JoinGroup
 * metadata) and ConsumerProtocolAssignment (SyncGroup assignment). Both are an int16 version followed
 * by non-flexible fields; newer versions only append fields, so a reader takes what it knows.
 */

import { BlobReader, BlobWriter } from '../protocol/blob.js';

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

function reader(buf: Buffer, what: string): BlobReader {
  return new BlobReader(
    buf,
    (needed, offset, length) =>
      new ConsumerProtocolError(
        `${what} is truncated (needs ${needed} more bytes at offset ${offset} of ${length}); ` +
          'a member sent metadata that is not the "consumer" protocol format',
      ),
  );
}

const writeTopicPartitions = (w: BlobWriter, tp: TopicPartitions) =>
  w.string(tp.topic).array(tp.partitions, (p) => w.int32(p));
const readTopicPartitions = (r: BlobReader): TopicPartitions => ({
  topic: r.string(),
  partitions: r.array(() => r.int32()),
});

export function encodeSubscription(s: Partial<Subscription> & { topics: string[] }): Buffer {
  const version = s.version ?? 0;
  const w = new BlobWriter().int16(version);
  w.array(s.topics, (t) => w.string(t));
  w.bytes(s.userData ?? Buffer.alloc(0));
  if (version >= 1) w.array(s.ownedPartitions ?? [], (tp) => writeTopicPartitions(w, tp));
  if (version >= 2) w.int32(s.generationId ?? -1);
  if (version >= 3) w.string(s.rackId ?? null);
  return w.done();
}

export function decodeSubscription(buf: Buffer): Subscription {
  const r = reader(buf, 'ConsumerProtocolSubscription');
  const version = r.int16();
  if (version < 0)
    throw new ConsumerProtocolError(`ConsumerProtocolSubscription version ${version} is invalid`);
  const topics = r.array(() => r.string());
  const userData = r.nullableBytes(false);
  const out: Subscription = {
    version,
    topics,
    userData,
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  };
  // Some clients write v1+ headers but stop early; take what is there.
  if (version >= 1 && r.more()) out.ownedPartitions = r.array(() => readTopicPartitions(r));
  if (version >= 2 && r.more()) out.generationId = r.int32();
  if (version >= 3 && r.more()) out.rackId = r.nullableString();
  return out;
}

export function encodeAssignment(a: Partial<Assignment> & { assignedPartitions: TopicPartitions[] }): Buffer {
  const w = new BlobWriter().int16(a.version ?? 0);
  return w
    .array(a.assignedPartitions, (tp) => writeTopicPartitions(w, tp))
    .bytes(a.userData ?? Buffer.alloc(0))
    .done();
}

/** An empty buffer is a valid "nothing assigned" (what the coordinator sends a member it gave nothing). */
export function decodeAssignment(buf: Buffer): Assignment {
  if (buf.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  const r = reader(buf, 'ConsumerProtocolAssignment');
  const version = r.int16();
  const assignedPartitions = r.array(() => readTopicPartitions(r));
  const userData = r.more() ? r.nullableBytes(false) : null;
  return { version, assignedPartitions, userData };
}
