import { ErrorCode, type ErrorCodeName } from '../../protocol/errors.js';

/**
 * Storage errors. Each carries the Kafka error code and name the broker answers with, so handlers map
 * them without string matching.
 */
export class StorageError extends Error {
  override name = 'StorageError';
  readonly errorCode: number;
  constructor(
    message: string,
    readonly errorName: ErrorCodeName,
  ) {
    super(message);
    this.errorCode = ErrorCode[errorName];
  }
}

/** A StorageError class named `name` whose constructor takes only the message. */
function storageErrorWithMessage(name: string, errorName: ErrorCodeName) {
  return class extends StorageError {
    override name = name;
    constructor(message: string) {
      super(message, errorName);
    }
  };
}

export const InvalidTopicError = storageErrorWithMessage('InvalidTopicError', 'INVALID_TOPIC_EXCEPTION');
export type InvalidTopicError = InstanceType<typeof InvalidTopicError>;

export class TopicExistsError extends StorageError {
  override name = 'TopicExistsError';
  constructor(topic: string) {
    super(`topic "${topic}" already exists`, 'TOPIC_ALREADY_EXISTS');
  }
}

export class UnknownTopicError extends StorageError {
  override name = 'UnknownTopicError';
  constructor(topic: string, partition?: number) {
    super(
      partition === undefined
        ? `topic "${topic}" does not exist`
        : `topic "${topic}" has no partition ${partition}`,
      'UNKNOWN_TOPIC_OR_PARTITION',
    );
  }
}

export const InvalidConfigError = storageErrorWithMessage('InvalidConfigError', 'INVALID_CONFIG');
export type InvalidConfigError = InstanceType<typeof InvalidConfigError>;

export const InvalidPartitionsError = storageErrorWithMessage('InvalidPartitionsError', 'INVALID_PARTITIONS');
export type InvalidPartitionsError = InstanceType<typeof InvalidPartitionsError>;

/** A batch larger than the topic's max.message.bytes: MESSAGE_TOO_LARGE (10). */
export class RecordTooLargeError extends StorageError {
  override name = 'RecordTooLargeError';
  constructor(size: number, limit: number) {
    super(
      `record batch of ${size} bytes exceeds the topic's max.message.bytes (${limit}); ` +
        'send smaller batches or raise max.message.bytes',
      'MESSAGE_TOO_LARGE',
    );
  }
}

export const OffsetOutOfRangeError = storageErrorWithMessage('OffsetOutOfRangeError', 'OFFSET_OUT_OF_RANGE');
export type OffsetOutOfRangeError = InstanceType<typeof OffsetOutOfRangeError>;

/** The log was closed (broker shutting down, topic deleted): the client should retry elsewhere/later. */
export class LogClosedError extends StorageError {
  override name = 'LogClosedError';
  constructor(what: string) {
    super(`${what} is closed`, 'NOT_LEADER_OR_FOLLOWER');
  }
}

/** Writing to disk failed (full disk, I/O error): KAFKA_STORAGE_ERROR (56). */
export class StorageIoError extends StorageError {
  override name = 'StorageIoError';
  constructor(what: string, cause: Error) {
    super(`${what}: ${cause.message}`, 'KAFKA_STORAGE_ERROR');
  }
}
