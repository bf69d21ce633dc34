import { ProduceApi, type ProduceRequest, type ProduceResponse } from '../../protocol/apis/00-produce.js';
import { ErrorCode } from '../../protocol/errors.js';
import { decodeRecords, iterateBatches } from '../../protocol/record-batch.js';
import { type ApiHandler, type RequestContext, serves } from '../api-handler.js';
import { mayCreateTopic, mayTopic, mayTransactionalId, Op } from '../auth/authorize.js';
import type { QuotaDecision } from '../quotas.js';
import { type RecordSetShape, scanRecordSet } from '../record-set.js';
import { type PartitionHandle, TopicStoreError } from '../topic-store.js';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

/**
 * Produce, advertised 0-11 although only record batch v2 (magic 2) is stored: librdkafka up to 2.11
 * enables gzip, snappy and lz4 only if the broker's Produce range includes v0 (its compression check
 * asks for overlap with [0, 0]), so a 3-11 table silently turns kcat's -z gzip into uncompressed
 * writes. librdkafka, kafkajs and kafka-python send v7, Kafka's Java producer v11 (flexible from v9,
 * record_errors from v8; v12 and v13 are for the new transaction protocol and topic ids). A
 * transactional batch must come from its transactional id's current epoch into a partition added to
 * the open transaction (else INVALID_PRODUCER_EPOCH / INVALID_TXN_STATE); it opens the producer's
 * transaction in the partition, which holds the last stable offset back until the marker. A legacy magic 0/1 message set is refused by storage with
 * UNSUPPORTED_FOR_MESSAGE_FORMAT. acks=0 gets no response; acks=1 is answered once the batch is
 * appended; acks=-1 once the broker's durability level is met (fsync for `sync`). Quotas apply per
 * partition: throttle (accept, report throttle_time_ms) or reject (REQUEST_TIMED_OUT, or RECORD_LIST_TOO_LARGE
 * for a batch over the burst; see quotaRefusal).
 */
export const produceHandler: ApiHandler<ProduceRequest, ProduceResponse> = {
  ...serves(ProduceApi, 0, 11),
  releasesRequest: true,
  clientThrottlesFrom: 6,
  async handle(request, ctx) {
    const { acks } = request;
    if (acks === 0) ctx.noResponse = true;
    const invalidAcks = acks !== 0 && acks !== 1 && acks !== -1;
    if (!mayWriteTransactionally(request, ctx)) {
      const responses = request.topicData.map((topic) => ({
        name: topic.name,
        partitionResponses: topic.partitionData.map((p) =>
          failed(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
        ),
      }));
      return { responses, throttleTimeMs: ctx.throttleMs };
    }
    const responses = await Promise.all(
      request.topicData.map(async (topic) => {
        if (!mayTopic(ctx, Op.WRITE, topic.name)) {
          const partitionResponses = topic.partitionData.map((p) =>
            failed(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED),
          );
          return { name: topic.name, partitionResponses };
        }
        // A request the broker will refuse anyway must not create topics on the way.
        const refused = invalidAcks;
        // Kafka's ReplicaManager refuses client appends to internal topics with InvalidTopicException;
        // the group coordinator writes __consumer_offsets through storage, never through this handler.
        const internal = ctx.broker.isInternalTopic(topic.name);
        const exists =
          ctx.broker.store.partitionCount(topic.name) !== undefined ||
          (!refused &&
            !internal &&
            mayCreateTopic(ctx, topic.name) &&
            (await ctx.broker.autoCreateTopic(topic.name)));
        const partitionResponses = await Promise.all(
          topic.partitionData.map((p) =>
            invalidAcks
              ? failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS)
              : internal
                ? failed(
                    p.index,
                    ErrorCode.INVALID_TOPIC_EXCEPTION,
                    `cannot append to internal topic ${topic.name}`,
                  )
                : exists
                  ? appendPartition(topic.name, p.index, p.records, acks, ctx)
                  : failed(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
          ),
        );
        return { name: topic.name, partitionResponses };
      }),
    );
    return { responses, throttleTimeMs: ctx.throttleMs };
  },
};

/**
 * Kafka refuses a whole request holding a transactional batch unless it names a transactional id the
 * principal may WRITE, before looking at any topic.
 */
function mayWriteTransactionally(request: ProduceRequest, ctx: RequestContext): boolean {
  const transactional = request.topicData.some((t) =>
    t.partitionData.some((p) => {
      const shape = p.records && p.records.length > 0 ? scanRecordSet(p.records) : undefined;
      return typeof shape === 'object' && shape.transactional;
    }),
  );
  if (!transactional) return true;
  const id = request.transactionalId ?? null;
  return id !== null && mayTransactionalId(ctx, Op.WRITE, id);
}

function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionResponse {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage,
  };
}

/**
 * A reject-mode quota's answer. Kafka has no such refusal (its produce quotas only throttle, and
 * THROTTLING_QUOTA_EXCEEDED is KIP-599's answer for CreateTopics, CreatePartitions and DeleteTopics), so
 * the code is the one every client knows and retries: REQUEST_TIMED_OUT, with the reason and the wait
 * in the message (Produce v8+). throttle_time_ms stays 0: with it, the muted connection and the clients'
 * own KIP-219 pauses stack up over pipelined batches (kcat took 20 s for what it sends in 2 s without
 * it); the clients' retry backoff spaces the retries well enough. A batch over the burst can never fit,
 * so retrying cannot help: RECORD_LIST_TOO_LARGE, final for every client but kafka-python 3 (which
 * splits the batch in halves until they fit). Not MESSAGE_TOO_LARGE: the Java producer splits a batch
 * refused so by its batch.size, which leaves a batch over a record count whole, and resends it without
 * end. docs/compatibility.md lists what each client shows.
 */
function quotaRefusal(
  index: number,
  decision: Exclude<QuotaDecision, { admitted: true }>,
): PartitionResponse {
  if (decision.reason === 'over-burst') {
    return failed(
      index,
      ErrorCode.RECORD_LIST_TOO_LARGE,
      `partition write quota: a batch of ${decision.size} ${decision.limit} is over the ${decision.burst} ${decision.limit}/s the partition takes at once; send smaller batches`,
    );
  }
  return failed(
    index,
    ErrorCode.REQUEST_TIMED_OUT,
    `partition write quota exceeded (reject mode): nothing written, retry in ${decision.retryAfterMs} ms`,
  );
}

/** Checks one partition's batches against everything Kafka checks before an append, then appends them. */
async function appendPartition(
  topic: string,
  index: number,
  records: Buffer | null,
  acks: number,
  ctx: RequestContext,
): Promise<PartitionResponse> {
  const log = ctx.broker.store.partition(topic, index);
  if (!log) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (!records || records.length === 0) return failed(index, ErrorCode.CORRUPT_MESSAGE, 'no records');
  const shape = scanRecordSet(records);
  if (typeof shape === 'string') {
    // Storage's validation names the exact problem (CRC, magic, lengths) and its error code.
    return append(log, topic, index, records, acks, ctx);
  }
  const refusal = await refuseBatches(topic, index, records, shape, log, ctx);
  if (refusal) return refusal;
  return appendInSequence(topic, index, records, shape, acks, log, ctx);
}

/**
 * Why the partition's batches must not be stored (size, timestamp, keyless records on a compacted topic,
 * a transaction that may not write here), or undefined when nothing is wrong with them.
 */
async function refuseBatches(
  topic: string,
  index: number,
  records: Buffer,
  shape: RecordSetShape,
  log: PartitionHandle,
  ctx: RequestContext,
): Promise<PartitionResponse | undefined> {
  const limit = maxMessageBytes(topic, ctx);
  if (shape.largestBatch > limit) {
    return failed(
      index,
      ErrorCode.MESSAGE_TOO_LARGE,
      `batch of ${shape.largestBatch} bytes exceeds ${limit}`,
    );
  }
  const tooNew = futureTimestamp(topic, shape.maxTimestamp, ctx);
  if (tooNew)
    return { ...failed(index, ErrorCode.INVALID_TIMESTAMP, tooNew), logStartOffset: log.logStartOffset };
  const keyless = await keylessOnCompacted(topic, index, records, ctx);
  if (keyless) return { ...keyless, logStartOffset: log.logStartOffset };
  if (!shape.transactional) return undefined;
  const code = ctx.broker.transactions.verifyProduce(shape.producerId, shape.producerEpoch, topic, index);
  if (code === ErrorCode.NONE) return undefined;
  return {
    ...failed(
      index,
      code,
      `producer ${shape.producerId} epoch ${shape.producerEpoch} may not write to ${topic}-${index} now`,
    ),
    logStartOffset: log.logStartOffset,
  };
}

/**
 * Appends batches that passed every check, in the producer's sequence (an idempotent producer's retry is
 * answered with its first offset, not written twice) and within the partition's write quota.
 */
async function appendInSequence(
  topic: string,
  index: number,
  records: Buffer,
  shape: RecordSetShape,
  acks: number,
  log: PartitionHandle,
  ctx: RequestContext,
): Promise<PartitionResponse> {
  const { broker } = ctx;
  const sequence =
    shape.producerId >= 0n
      ? broker.producers.check(topic, index, {
          producerId: shape.producerId,
          producerEpoch: shape.producerEpoch,
          baseSequence: shape.baseSequence,
          recordCount: shape.records,
        })
      : undefined;
  // Kafka's answer to a refused sequence carries the partition's log start, as a successful one does.
  if (sequence?.kind === 'error') {
    return { ...failed(index, sequence.errorCode, sequence.message), logStartOffset: log.logStartOffset };
  }
  if (sequence?.kind === 'duplicate') return answerDuplicate(index, sequence.baseOffset, log);
  const overQuota = quotaCheck(topic, index, records, shape, ctx);
  if (overQuota) {
    sequence?.abort();
    return overQuota;
  }
  // The high watermark is no later than this batch's offset: the last stable offset stays behind it.
  const provisional = log.highWatermark;
  if (shape.transactional)
    broker.producers.noteTransactionalBatch(topic, index, shape.producerId, provisional);
  const response = await append(log, topic, index, records, acks, ctx);
  if (shape.transactional) {
    const actual = response.errorCode === 0 ? response.baseOffset : undefined;
    broker.producers.settleTransactionalBatch(topic, index, shape.producerId, provisional, actual);
  }
  if (sequence) {
    if (response.errorCode === 0) sequence.commit(response.baseOffset);
    else sequence.abort();
  }
  return response;
}

/** A retried batch gets its original's first offset, once the original is written. */
async function answerDuplicate(
  index: number,
  baseOffset: Promise<bigint>,
  log: PartitionHandle,
): Promise<PartitionResponse> {
  try {
    return answered(index, await baseOffset, -1n, log);
  } catch {
    return failed(
      index,
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      'the original of this retried batch was not written',
    );
  }
}

/** The quota's refusal (reject mode), or undefined once admitted (a throttle is noted on the context). */
function quotaCheck(
  topic: string,
  index: number,
  records: Buffer,
  shape: RecordSetShape,
  ctx: RequestContext,
): PartitionResponse | undefined {
  const { broker } = ctx;
  if (!broker.quotas) return undefined;
  const decision = broker.quotas.check(topic, index, shape.records, records.length);
  if (!decision.admitted) {
    broker.metrics.produceRejected.inc({ topic });
    return quotaRefusal(index, decision);
  }
  if (decision.throttleMs > 0) {
    broker.metrics.produceThrottled.inc({ topic });
    ctx.throttleMs = Math.max(ctx.throttleMs, decision.throttleMs);
  }
  return undefined;
}

function answered(
  index: number,
  baseOffset: bigint,
  logAppendTimeMs: bigint,
  log: PartitionHandle,
): PartitionResponse {
  return {
    index,
    errorCode: 0,
    baseOffset,
    logAppendTimeMs,
    logStartOffset: log.logStartOffset,
    recordErrors: [],
    errorMessage: null,
  };
}

async function append(
  log: PartitionHandle,
  topic: string,
  index: number,
  records: Buffer,
  acks: number,
  ctx: RequestContext,
): Promise<PartitionResponse> {
  const { broker } = ctx;
  try {
    const result = await log.append(records, { durable: acks === -1 });
    broker.metrics.producedRecords.inc({ topic }, result.recordCount);
    return answered(index, result.baseOffset, result.logAppendTimeMs, log);
  } catch (err) {
    const code = err instanceof TopicStoreError ? err.errorCode : ErrorCode.CORRUPT_MESSAGE;
    const message = err instanceof Error ? err.message : String(err);
    broker.log.warn(
      { topic, partition: index, client: ctx.clientId, reason: message },
      'produce append failed',
    );
    return failed(index, code, message);
  }
}

/**
 * Kafka's LogValidator refuses a batch holding a record without a key on a compacted topic: the whole
 * batch fails with INVALID_RECORD, and record_errors (v8+) names each keyless record, so the Java
 * producer fails those with the broker's message and their batch-mates with "part of a batch which had
 * one more more invalid records". Records are decoded only for compacted topics; a batch that cannot be
 * decoded is left to storage, which names what is wrong with it.
 */
async function keylessOnCompacted(
  topic: string,
  index: number,
  records: Buffer,
  ctx: RequestContext,
): Promise<PartitionResponse | undefined> {
  if (!ctx.broker.store.compacted(topic)) return undefined;
  const message = `Compacted topic cannot accept message without key in topic partition ${topic}-${index}`;
  const recordErrors: NonNullable<PartitionResponse['recordErrors']> = [];
  try {
    for (const { buf } of iterateBatches(records)) {
      (await decodeRecords(buf)).forEach((r, batchIndex) => {
        if (r.key === null) recordErrors.push({ batchIndex, batchIndexErrorMessage: message });
      });
    }
  } catch {
    return undefined;
  }
  return recordErrors.length === 0
    ? undefined
    : { ...failed(index, ErrorCode.INVALID_RECORD, message), recordErrors };
}

/**
 * Why a CreateTime batch is refused as stamped too far ahead of the broker's clock (Kafka's
 * message.timestamp.after.max.ms, one hour by default since Kafka 4), or undefined if it is not.
 * LogAppendTime topics overwrite the timestamps, so nothing is checked for them.
 */
function futureTimestamp(topic: string, maxTimestamp: bigint, ctx: RequestContext): string | undefined {
  const rules = ctx.broker.store.timestampRules(topic);
  if (!rules || rules.type === 'LogAppendTime') return undefined;
  const ahead = Number(maxTimestamp) - ctx.broker.clock.now();
  if (ahead <= rules.afterMaxMs) return undefined;
  return `record timestamp ${maxTimestamp} is ${ahead} ms ahead of the broker's clock; message.timestamp.after.max.ms allows ${rules.afterMaxMs}`;
}

function maxMessageBytes(topic: string, ctx: RequestContext): number {
  return ctx.broker.store.maxMessageBytes(topic) ?? ctx.broker.config.messageMaxBytes;
}
