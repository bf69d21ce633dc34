/**
 * The opaque member blobs of the "consumer" group protocol, as apache/kafka's ConsumerProtocolSubscription
 * (JoinGroup metadata) and ConsumerProtocolAssignment (SyncGroup assignment) message definitions describe
 * them: an int16 version followed by non-flexible fields. Clients write them, the broker's coordinator
 * relays them as bytes and reads them only to say which member owns which partitions. Newer versions only
 * append fields, so a reader takes what it knows, and some writers stop early (librdkafka and kafkajs
 * announce v1+ but may leave the later fields out): the missing fields read as their defaults.
 */

import { definePayload, type PayloadInput, type PayloadValue } from './payload.js';
import { f } from './schema.js';

export class ConsumerProtocolError extends Error {
  override name = 'ConsumerProtocolError';
}

const topicPartitions = [f('topic', 'string', '0+'), f('partitions', '[]int32', '0+')] as const;

const consumerProtocol = {
  error: (message: string) =>
    new ConsumerProtocolError(
      `${message}; a member sent metadata that is not the "consumer" protocol format`,
    ),
  readNewerAsLatest: true,
  mayStopEarly: true,
};

export const ConsumerProtocolSubscription = definePayload(
  {
    name: 'ConsumerProtocolSubscription',
    versions: '0-3',
    fields: [
      f('topics', '[]string', '0+'),
      f('userData', 'bytes', '0+', { nullable: '0+', default: null }),
      /** Partitions the member owned before this rebalance. */
      f('ownedPartitions', '[]struct', '1+', { fields: topicPartitions }),
      f('generationId', 'int32', '2+', { default: -1 }),
      f('rackId', 'string', '3+', { nullable: '3+', default: null }),
    ],
  },
  consumerProtocol,
);

export const ConsumerProtocolAssignment = definePayload(
  {
    name: 'ConsumerProtocolAssignment',
    versions: '0-3',
    fields: [
      f('assignedPartitions', '[]struct', '0+', { fields: topicPartitions }),
      f('userData', 'bytes', '0+', { nullable: '0+', default: null }),
    ],
  },
  consumerProtocol,
);

export type Subscription = PayloadValue<typeof ConsumerProtocolSubscription.spec>;
export type Assignment = PayloadValue<typeof ConsumerProtocolAssignment.spec>;
export type TopicPartitions = Assignment['assignedPartitions'][number];

/** Version 0 unless `s.version` says otherwise; no user data is written as empty bytes, as Kafka's clients do. */
export function encodeSubscription(
  s: PayloadInput<typeof ConsumerProtocolSubscription.spec> & { version?: number },
): Buffer {
  return ConsumerProtocolSubscription.encode(s.version ?? 0, { ...s, userData: s.userData ?? EMPTY });
}

export function decodeSubscription(buf: Buffer): Subscription {
  return ConsumerProtocolSubscription.decode(buf);
}

export function encodeAssignment(
  a: PayloadInput<typeof ConsumerProtocolAssignment.spec> & { version?: number },
): Buffer {
  return ConsumerProtocolAssignment.encode(a.version ?? 0, { ...a, userData: a.userData ?? EMPTY });
}

/** An empty buffer is a valid "nothing assigned" (what the coordinator sends a member it gave nothing). */
export function decodeAssignment(buf: Buffer): Assignment {
  if (buf.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  return ConsumerProtocolAssignment.decode(buf);
}

const EMPTY = Buffer.alloc(0);
