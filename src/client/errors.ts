import { errorName, isRetriable as isRetriableCode } from '../protocol/errors.js';

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

interface CodeInfo {
  name: string;
  retriable: boolean;
  /** Sets metadata stale: the partition moved or the topic changed. */
  refreshMetadata?: boolean;
  /** The group coordinator moved: find it again. */
  findCoordinator?: boolean;
  advice: string;
}

/**
 * What the client does about the error codes it meets. Codes not listed get a generic message with
 * the number (look it up in Kafka's Errors.java).
 */
const CODES: Record<number, CodeInfo> = {
  1: {
    name: 'OFFSET_OUT_OF_RANGE',
    retriable: false,
    advice: 'The offset is before the log start or past the end; seek to earliest or latest.',
  },
  2: {
    name: 'CORRUPT_MESSAGE',
    retriable: true,
    advice: 'A record batch failed its CRC check; it will be resent.',
  },
  3: {
    name: 'UNKNOWN_TOPIC_OR_PARTITION',
    retriable: true,
    refreshMetadata: true,
    advice: 'The topic or partition does not exist (yet): create it, or check the name and partition count.',
  },
  5: {
    name: 'LEADER_NOT_AVAILABLE',
    retriable: true,
    refreshMetadata: true,
    advice: 'The partition is electing a leader; retrying after a metadata refresh.',
  },
  6: {
    name: 'NOT_LEADER_OR_FOLLOWER',
    retriable: true,
    refreshMetadata: true,
    advice: 'This broker no longer leads the partition; retrying on the new leader.',
  },
  7: {
    name: 'REQUEST_TIMED_OUT',
    retriable: true,
    advice: 'The broker timed out (e.g. waiting for acks=-1 replicas); retrying.',
  },
  10: {
    name: 'MESSAGE_TOO_LARGE',
    retriable: false,
    advice:
      "The batch is larger than the topic's max.message.bytes; lower batchBytes or raise the topic limit.",
  },
  13: { name: 'NETWORK_EXCEPTION', retriable: true, advice: 'The broker lost a connection; retrying.' },
  14: {
    name: 'COORDINATOR_LOAD_IN_PROGRESS',
    retriable: true,
    advice: 'The coordinator is loading its state; retrying shortly.',
  },
  15: {
    name: 'COORDINATOR_NOT_AVAILABLE',
    retriable: true,
    findCoordinator: true,
    advice: 'The group coordinator is unavailable; finding it again.',
  },
  16: {
    name: 'NOT_COORDINATOR',
    retriable: true,
    findCoordinator: true,
    advice: 'This broker is not the coordinator for the group; finding the right one.',
  },
  17: {
    name: 'INVALID_TOPIC_EXCEPTION',
    retriable: false,
    advice: 'Topic names use [a-zA-Z0-9._-], max 249.',
  },
  18: {
    name: 'RECORD_LIST_TOO_LARGE',
    retriable: false,
    advice: 'The produce request is larger than the broker accepts; lower batchBytes.',
  },
  19: { name: 'NOT_ENOUGH_REPLICAS', retriable: true, advice: 'Too few in-sync replicas for acks=-1.' },
  22: {
    name: 'ILLEGAL_GENERATION',
    retriable: false,
    advice: 'The group rebalanced; this member must rejoin before committing.',
  },
  23: {
    name: 'INCONSISTENT_GROUP_PROTOCOL',
    retriable: false,
    advice: 'Members of this group use different assignors or protocol types; use the same assignor names.',
  },
  25: {
    name: 'UNKNOWN_MEMBER_ID',
    retriable: false,
    advice: 'The coordinator forgot this member (session expired); it must rejoin with an empty member id.',
  },
  26: {
    name: 'INVALID_SESSION_TIMEOUT',
    retriable: false,
    advice: "sessionTimeoutMs is outside the broker's group.min/max.session.timeout.ms.",
  },
  27: { name: 'REBALANCE_IN_PROGRESS', retriable: false, advice: 'The group is rebalancing; rejoin.' },
  29: {
    name: 'TOPIC_AUTHORIZATION_FAILED',
    retriable: false,
    advice: 'This client may not access the topic; check ACLs.',
  },
  35: {
    name: 'UNSUPPORTED_VERSION',
    retriable: false,
    advice: 'The broker does not support this request version; it may be too old for this client.',
  },
  36: {
    name: 'TOPIC_ALREADY_EXISTS',
    retriable: false,
    advice: 'Pick another name or delete the topic first.',
  },
  37: { name: 'INVALID_PARTITIONS', retriable: false, advice: 'The partition count must be at least 1.' },
  38: {
    name: 'INVALID_REPLICATION_FACTOR',
    retriable: false,
    advice: 'The replication factor exceeds the broker count.',
  },
  40: { name: 'INVALID_CONFIG', retriable: false, advice: 'A topic config name or value is invalid.' },
  41: {
    name: 'NOT_CONTROLLER',
    retriable: true,
    refreshMetadata: true,
    advice: 'Retrying on the controller.',
  },
  42: { name: 'INVALID_REQUEST', retriable: false, advice: 'The broker rejected the request as malformed.' },
  45: {
    name: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    retriable: false,
    advice: 'The idempotent producer lost track of its sequence; recreate the producer.',
  },
  46: {
    name: 'DUPLICATE_SEQUENCE_NUMBER',
    retriable: false,
    advice: 'The broker already has this batch (a retry of a batch that was written).',
  },
  47: {
    name: 'INVALID_PRODUCER_EPOCH',
    retriable: false,
    advice: 'Another producer with the same id fenced this one.',
  },
  51: { name: 'CONCURRENT_TRANSACTIONS', retriable: true, advice: 'Retrying.' },
  54: {
    name: 'UNKNOWN_PRODUCER_ID',
    retriable: false,
    advice: 'The broker expired this producer id; recreate the producer.',
  },
  69: { name: 'GROUP_ID_NOT_FOUND', retriable: false, advice: 'No such consumer group.' },
  72: {
    name: 'LISTENER_NOT_FOUND',
    retriable: true,
    refreshMetadata: true,
    advice: 'The leader has no listener for this connection; retrying after a metadata refresh.',
  },
  74: {
    name: 'FENCED_LEADER_EPOCH',
    retriable: true,
    refreshMetadata: true,
    advice: 'Retrying after refresh.',
  },
  75: {
    name: 'UNKNOWN_LEADER_EPOCH',
    retriable: true,
    refreshMetadata: true,
    advice: 'Retrying after refresh.',
  },
  76: {
    name: 'UNSUPPORTED_COMPRESSION_TYPE',
    retriable: false,
    advice: 'The broker cannot read this compression; choose gzip or none.',
  },
  79: {
    name: 'MEMBER_ID_REQUIRED',
    retriable: true,
    advice: 'The coordinator assigned a member id; rejoining with it.',
  },
  89: {
    name: 'THROTTLING_QUOTA_EXCEEDED',
    retriable: true,
    advice:
      "The broker's quota for this partition is used up; backing off and retrying. Lower the send rate.",
  },
  82: {
    name: 'FENCED_INSTANCE_ID',
    retriable: false,
    advice: 'Another member uses the same group instance id.',
  },
};

export function errorCodeInfo(code: number): CodeInfo {
  return (
    CODES[code] ?? {
      name: errorName(code),
      retriable: isRetriableCode(code),
      advice: "See Kafka's protocol error codes for this number.",
    }
  );
}

/** Builds the error for a non-zero code; `context` says which request and which topic/partition/group. */
export function brokerError(code: number, context: string): KafkaBrokerError {
  const info = errorCodeInfo(code);
  const err = new KafkaBrokerError(code, info.name, context, info.advice, info.retriable);
  return err;
}

export function needsMetadataRefresh(code: number): boolean {
  return CODES[code]?.refreshMetadata === true;
}

export function needsCoordinator(code: number): boolean {
  return CODES[code]?.findCoordinator === true;
}
