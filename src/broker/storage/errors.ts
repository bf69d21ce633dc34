/**
 * Storage errors. Each carries the Kafka error code and name the broker answers with, so handlers map
 * them without string matching.
 */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    message: string,
    readonly errorCode: number,
    readonly errorName: string,
  ) {
    super(message);
  }
}

export class InvalidTopicError extends StorageError {
  override name = 'InvalidTopicError';
  constructor(message: string) {
    super(message, 17, 'INVALID_TOPIC_EXCEPTION');
  }
}

export class TopicExistsError extends StorageError {
  override name = 'TopicExistsError';
  constructor(topic: string) {
    super(`topic "${topic}" already exists`, 36, 'TOPIC_ALREADY_EXISTS');
  }
}

export class UnknownTopicError extends StorageError {
  override name = 'UnknownTopicError';
  constructor(topic: string, partition?: number) {
    super(
      partition === undefined
        ? `topic "${topic}" does not exist`
        : `topic "${topic}" has no partition ${partition}`,
      3,
      'UNKNOWN_TOPIC_OR_PARTITION',
    );
  }
}

export class InvalidConfigError extends StorageError {
  override name = 'InvalidConfigError';
  constructor(message: string) {
    super(message, 40, 'INVALID_CONFIG');
  }
}

export class InvalidPartitionsError extends StorageError {
  override name = 'InvalidPartitionsError';
  constructor(message: string) {
    super(message, 37, 'INVALID_PARTITIONS');
  }
}

/** A batch larger than the topic's max.message.bytes: MESSAGE_TOO_LARGE (10). */
export class RecordTooLargeError extends StorageError {
  override name = 'RecordTooLargeError';
  constructor(size: number, limit: number) {
    super(
      `record batch of ${size} bytes exceeds the topic's max.message.bytes (${limit}); ` +
        'send smaller batches or raise max.message.bytes',
      10,
      'MESSAGE_TOO_LARGE',
    );
  }
}

export class OffsetOutOfRangeError extends StorageError {
  override name = 'OffsetOutOfRangeError';
  constructor(message: string) {
    super(message, 1, 'OFFSET_OUT_OF_RANGE');
  }
}

/** The log was closed (broker shutting down, topic deleted): the client should retry elsewhere/later. */
export class LogClosedError extends StorageError {
  override name = 'LogClosedError';
  constructor(what: string) {
    super(`${what} is closed`, 6, 'NOT_LEADER_OR_FOLLOWER');
  }
}

/** Writing to disk failed (full disk, I/O error): KAFKA_STORAGE_ERROR (56). */
export class StorageIoError extends StorageError {
  override name = 'StorageIoError';
  constructor(what: string, cause: Error) {
    super(`${what}: ${cause.message}`, 56, 'KAFKA_STORAGE_ERROR');
  }
}
