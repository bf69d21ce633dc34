import { type ErrorCodeName, errorInfo, errorName, isRetriable } from '../protocol/errors.js';

/**
 * Errors the client raises. Each says what happened and what to do about it; `retriable` tells the
 * retry policy whether trying again can help.
 */

export class KafkaClientError extends Error {
  override name = 'KafkaClientError';
  readonly retriable: boolean;
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable ?? false;
  }
}

/** A broker answered with a non-zero error code. */
export class KafkaBrokerError extends KafkaClientError {
  override name = 'KafkaBrokerError';
  constructor(
    readonly code: number,
    readonly codeName: string,
    readonly context: string,
    advice: string,
    retriable: boolean,
  ) {
    super(`${context}: ${codeName} (error ${code}). ${advice}`, { retriable });
  }
}

/** The connection could not be made, or broke while requests were in flight. */
export class ConnectionError extends KafkaClientError {
  override name = 'ConnectionError';
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: true, cause });
  }
}

/** A request got no answer within its timeout. */
export class RequestTimeoutError extends KafkaClientError {
  override name = 'RequestTimeoutError';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${what} got no response within ${timeoutMs} ms; the broker may be overloaded or unreachable. ` +
        'Raise requestTimeoutMs if the broker is just slow.',
      { retriable: true },
    );
  }
}

/** The producer's buffer stayed full for longer than maxBlockMs (strategy `block`). */
export class BufferFullTimeoutError extends KafkaClientError {
  override name = 'BufferFullTimeoutError';
  constructor(
    readonly waitedMs: number,
    readonly bufferedBytes: number,
    readonly capacityBytes: number,
  ) {
    super(
      `producer buffer full (${bufferedBytes}/${capacityBytes} bytes) for ${waitedMs} ms (maxBlockMs): ` +
        'the broker is not keeping up with the send rate. Slow the producer down, raise maxBlockMs or ' +
        'bufferBytes, or choose the drop or sample strategy if losing records is acceptable.',
    );
  }
}

/** The bounded spill of strategy `buffer` is full too. */
export class BufferOverflowError extends KafkaClientError {
  override name = 'BufferOverflowError';
  constructor(
    readonly bufferedBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      `producer buffer and its spill are full (${bufferedBytes}/${limitBytes} bytes): a sustained imbalance, ` +
        'not a burst. Slow the producer down, add partitions/consumers downstream, or use block/drop/sample.',
    );
  }
}

/** A single record is larger than anything the buffer or the broker could take. */
export class RecordTooLargeError extends KafkaClientError {
  override name = 'RecordTooLargeError';
  constructor(
    readonly sizeBytes: number,
    readonly limitBytes: number,
    limitName: string,
  ) {
    super(
      `record of ${sizeBytes} bytes exceeds ${limitName} (${limitBytes} bytes); split it, compress it, ` +
        `or raise ${limitName} (and the topic's max.message.bytes on the broker).`,
    );
  }
}

/** The client (producer, consumer, admin) was closed while the operation waited. */
export class ClientClosedError extends KafkaClientError {
  override name = 'ClientClosedError';
  constructor(what: string) {
    super(`${what}: the client was closed`);
  }
}

/** A configuration value is invalid. */
export class ConfigError extends KafkaClientError {
  override name = 'ConfigError';
}

/**
 * Another producer with the same transactional id called initTransactions after this one and took
 * over (the coordinator bumped the epoch): this producer can no longer send, commit or abort. Close it;
 * the newer producer carries on, and this one's open transaction was aborted by the coordinator.
 */
export class ProducerFencedError extends KafkaClientError {
  override name = 'ProducerFencedError';
  constructor(
    readonly transactionalId: string,
    readonly code: number,
    context: string,
  ) {
    super(
      `${context}: another producer with the same transactional id "${transactionalId}" took over ` +
        `(${errorName(code)}, error ${code}); this producer is fenced and cannot send, commit or abort. ` +
        'Close it; if this process should be the one writing, start a new producer and call initTransactions().',
    );
  }
}

/** A transactional method was called in a state that does not allow it (e.g. send before beginTransaction). */
export class TransactionStateError extends KafkaClientError {
  override name = 'TransactionStateError';
}

/**
 * The client's advice for the error codes it meets, keyed by Kafka's name (name and retriable are
 * Kafka's facts, in protocol/errors.ts). Codes not listed get Kafka's own message for the code.
 */
const ADVICE: Partial<Record<ErrorCodeName, string>> = {
  OFFSET_OUT_OF_RANGE: 'The offset is before the log start or past the end; seek to earliest or latest.',
  CORRUPT_MESSAGE: 'A record batch failed its CRC check; it will be resent.',
  UNKNOWN_TOPIC_OR_PARTITION:
    'The topic or partition does not exist (yet): create it, or check the name and partition count.',
  LEADER_NOT_AVAILABLE: 'The partition is electing a leader; retrying after a metadata refresh.',
  NOT_LEADER_OR_FOLLOWER: 'This broker no longer leads the partition; retrying on the new leader.',
  REQUEST_TIMED_OUT:
    'The broker timed out (e.g. waiting for acks=-1 replicas) or a reject-mode quota refused the batch for now (the message says which); retrying.',
  MESSAGE_TOO_LARGE:
    "The batch is larger than the topic's max.message.bytes; lower batchBytes or raise the topic limit.",
  NETWORK_EXCEPTION: 'The broker lost a connection; retrying.',
  COORDINATOR_LOAD_IN_PROGRESS: 'The coordinator is loading its state; retrying shortly.',
  COORDINATOR_NOT_AVAILABLE: 'The group coordinator is unavailable; finding it again.',
  NOT_COORDINATOR: 'This broker is not the coordinator for the group; finding the right one.',
  INVALID_TOPIC_EXCEPTION: 'Topic names use [a-zA-Z0-9._-], max 249.',
  RECORD_LIST_TOO_LARGE: 'The produce request is larger than the broker accepts; lower batchBytes.',
  NOT_ENOUGH_REPLICAS: 'Too few in-sync replicas for acks=-1.',
  ILLEGAL_GENERATION: 'The group rebalanced; this member must rejoin before committing.',
  INCONSISTENT_GROUP_PROTOCOL:
    'Members of this group use different assignors or protocol types; use the same assignor names.',
  UNKNOWN_MEMBER_ID:
    'The coordinator forgot this member (session expired); it must rejoin with an empty member id.',
  INVALID_SESSION_TIMEOUT: "sessionTimeoutMs is outside the broker's group.min/max.session.timeout.ms.",
  REBALANCE_IN_PROGRESS: 'The group is rebalancing; rejoin.',
  TOPIC_AUTHORIZATION_FAILED: 'This client may not access the topic; check ACLs.',
  UNSUPPORTED_VERSION: 'The broker does not support this request version; it may be too old for this client.',
  TOPIC_ALREADY_EXISTS: 'Pick another name or delete the topic first.',
  INVALID_PARTITIONS: 'The partition count must be at least 1.',
  INVALID_REPLICATION_FACTOR: 'The replication factor exceeds the broker count.',
  INVALID_CONFIG: 'A topic config name or value is invalid.',
  NOT_CONTROLLER: 'Retrying on the controller.',
  INVALID_REQUEST: 'The broker rejected the request as malformed.',
  OUT_OF_ORDER_SEQUENCE_NUMBER: 'The idempotent producer lost track of its sequence; recreate the producer.',
  DUPLICATE_SEQUENCE_NUMBER: 'The broker already has this batch (a retry of a batch that was written).',
  INVALID_PRODUCER_EPOCH: 'Another producer with the same id fenced this one.',
  CONCURRENT_TRANSACTIONS: 'Retrying.',
  UNKNOWN_PRODUCER_ID: 'The broker expired this producer id; recreate the producer.',
  GROUP_ID_NOT_FOUND: 'No such consumer group.',
  LISTENER_NOT_FOUND: 'The leader has no listener for this connection; retrying after a metadata refresh.',
  FENCED_LEADER_EPOCH: 'Retrying after refresh.',
  UNKNOWN_LEADER_EPOCH: 'Retrying after refresh.',
  UNSUPPORTED_COMPRESSION_TYPE: 'The broker cannot read this compression; choose gzip or none.',
  MEMBER_ID_REQUIRED: 'The coordinator assigned a member id; rejoining with it.',
  FENCED_INSTANCE_ID: 'Another member uses the same group instance id.',
  THROTTLING_QUOTA_EXCEEDED:
    "The cluster's quota on creating and deleting topics and partitions (KIP-599) is used up; back off and retry, or create fewer at a time.",
};

/** Codes after which the client marks its metadata stale: the partition moved or the topic changed. */
const REFRESH_METADATA: ReadonlySet<string> = new Set<ErrorCodeName>([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_CONTROLLER',
  'LISTENER_NOT_FOUND',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
]);

/** Codes that mean the group coordinator moved: find it again. */
const FIND_COORDINATOR: ReadonlySet<string> = new Set<ErrorCodeName>([
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
]);

export interface CodeInfo {
  name: string;
  retriable: boolean;
  advice: string;
}

export function errorCodeInfo(code: number): CodeInfo {
  const advice =
    ADVICE[errorName(code) as ErrorCodeName] ??
    errorInfo(code)?.message ??
    "See Kafka's protocol error codes for this number.";
  return { name: errorName(code), retriable: isRetriable(code), advice };
}

/** Builds the error for a non-zero code; `context` says which request and which topic/partition/group. */
export function brokerError(code: number, context: string): KafkaBrokerError {
  const info = errorCodeInfo(code);
  return new KafkaBrokerError(code, info.name, context, info.advice, info.retriable);
}

export function needsMetadataRefresh(code: number): boolean {
  return REFRESH_METADATA.has(errorName(code));
}

export function needsCoordinator(code: number): boolean {
  return FIND_COORDINATOR.has(errorName(code));
}

/** Whether `err` is a broker's answer saying the group or transaction coordinator moved: find it again. */
export function coordinatorMoved(err: unknown): boolean {
  return err instanceof KafkaBrokerError && needsCoordinator(err.code);
}
