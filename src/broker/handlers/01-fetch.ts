import { FetchApi, type FetchRequest, type FetchResponse } from '../../protocol/apis/01-fetch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, type RequestContext, serves } from '../api-handler.js';
import { mayTopic, Op } from '../auth/authorize.js';
import type { PartitionHandle } from '../topic-store.js';
import { isolatedRead } from '../txn/read-committed.js';

type PartitionData = FetchResponse['responses'][number]['partitions'][number];
type TopicRequest = FetchRequest['topics'][number];

const EMPTY = Buffer.alloc(0);

/**
 * Fetch 4-12 (v12, flexible, because @platformatic/kafka 1.x implements only Fetch 12+), sessionless
 * (session_id 0). Transactions: every answer carries the last stable offset; read_committed reads stop
 * there and list the aborted transactions in the range (null under read_uncommitted, as Kafka answers;
 * empty for an unknown partition); `isolatedRead` in txn/read-committed.ts computes both.
 * A refused partition carries -1 for its offsets, as in Kafka, not the log's current ones. Long-polls:
 * if fewer than min_bytes are available it waits, up to max_wait_ms, for an append to any requested
 * partition, then reads again. Record bytes are served as stored: read from the segment into pooled
 * buffers and written to the socket by reference (no copy into the frame, no decoding), the buffers
 * going back to the pool once the socket has them.
 *
 * Partitions are read in request order, as Kafka reads a sessionless fetch: fairness across partitions
 * is the client's job, as in Kafka's clients (ours puts the partitions served longest ago first, see
 * `fetchOrder` in client/consumer-client.ts). The differential suite holds this against Kafka.
 */
export const fetchHandler: ApiHandler<FetchRequest, FetchResponse> = {
  ...serves(FetchApi, 4, 12),
  detachesRecords: true,
  async handle(request, ctx) {
    const { clock } = ctx.broker;
    const deadline = clock.now() + Math.max(0, request.maxWaitMs);
    for (;;) {
      const lease = ctx.broker.readBuffers.lease();
      const { responses, bytes, errors, waits } = readAll(request, ctx, lease.alloc);
      const remaining = deadline - clock.now();
      // min_bytes 0 means "answer at once", as in Kafka.
      if (bytes >= request.minBytes || errors || remaining <= 0 || ctx.connection.signal.aborted) {
        ctx.afterSend(() => lease.release());
        return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
      }
      lease.release(); // nothing refers to this read's buffers: it is not answered
      await waitForAny(waits, remaining, ctx);
    }
  },
};

/** What one pass over the requested partitions has gathered so far. */
interface FetchPass {
  /** Response bytes still allowed (the request's max_bytes). */
  budget: number;
  /** Record bytes read. */
  bytes: number;
  /** Some partition was answered with an error (the fetch is answered at once). */
  errors: boolean;
  /** Where a long-poll waits for new data: each partition read, past what this pass saw. */
  waits: Array<{ log: PartitionHandle; offset: bigint }>;
  /** Kafka lists aborted transactions only for read_committed (isolation level 1); otherwise null. */
  aborted: [] | null;
}

function readAll(request: FetchRequest, ctx: RequestContext, alloc: (size: number) => Buffer) {
  const pass: FetchPass = {
    budget: request.maxBytes ?? 2147483647,
    bytes: 0,
    errors: false,
    waits: [],
    aborted: request.isolationLevel === 1 ? [] : null,
  };
  const responses = request.topics.map((topic: TopicRequest) => {
    const name = topic.topic ?? '';
    const readable = mayTopic(ctx, Op.READ, name);
    const partitions = topic.partitions.map((p) =>
      readable
        ? readPartition(name, p, request, ctx, alloc, pass)
        : refused(pass, p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED),
    );
    return { topic: name, partitions };
  });
  return { responses, bytes: pass.bytes, errors: pass.errors, waits: pass.waits };
}

function partitionData(
  pass: FetchPass,
  partitionIndex: number,
  errorCode: number,
  highWatermark: bigint,
  logStartOffset: bigint,
  records: Buffer,
  isolated?: ReturnType<typeof isolatedRead>,
): PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark,
    lastStableOffset: isolated?.lastStableOffset ?? highWatermark,
    logStartOffset,
    abortedTransactions: isolated ? isolated.abortedTransactions : pass.aborted,
    preferredReadReplica: -1,
    records,
  };
}

/** A partition refused before reading: Kafka's answer has an empty aborted list whatever the isolation. */
function refused(pass: FetchPass, partitionIndex: number, errorCode: number): PartitionData {
  pass.errors = true;
  return { ...partitionData(pass, partitionIndex, errorCode, -1n, -1n, EMPTY), abortedTransactions: [] };
}

/** Reads one partition within what is left of the budget (stored bytes, by reference) and notes its wait. */
function readPartition(
  name: string,
  p: TopicRequest['partitions'][number],
  request: FetchRequest,
  ctx: RequestContext,
  alloc: (size: number) => Buffer,
  pass: FetchPass,
): PartitionData {
  const log = ctx.broker.store.partition(name, p.partition);
  if (!log) return refused(pass, p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  // KIP-74: only the first partition of the response that has data may exceed its limits (its first
  // batch comes whole), so a consumer never gets stuck behind one large batch. A later partition whose
  // first batch does not fit gets no records and no error, and the client asks again.
  const first = pass.bytes === 0;
  const limit = Math.min(p.partitionMaxBytes, first ? Math.max(pass.budget, 1) : pass.budget);
  if (limit <= 0) return partitionData(pass, p.partition, 0, log.highWatermark, log.logStartOffset, EMPTY);
  // Storage always hands back at least one whole batch, whatever the limit.
  const raw = log.read(p.fetchOffset, limit, alloc);
  const isolated = isolatedRead(
    ctx.broker.producers,
    name,
    p.partition,
    p.fetchOffset,
    raw,
    request.isolationLevel,
  );
  const records = isolated.records;
  if (raw.errorCode) {
    pass.errors = true;
    return partitionData(pass, p.partition, raw.errorCode, -1n, -1n, EMPTY);
  }
  // Wake on data beyond what this read saw (never on data already there, or the loop would spin).
  pass.waits.push({ log, offset: raw.highWatermark });
  if (!first && records.length > limit) {
    return partitionData(pass, p.partition, 0, raw.highWatermark, raw.logStartOffset, EMPTY, {
      ...isolated,
      abortedTransactions: pass.aborted,
    });
  }
  pass.bytes += records.length;
  pass.budget -= records.length;
  return partitionData(pass, p.partition, 0, raw.highWatermark, raw.logStartOffset, records, isolated);
}

/** Resolves when any partition gets data past its wait offset, on timeout, or on abort. */
async function waitForAny(
  waits: Array<{ log: PartitionHandle; offset: bigint }>,
  timeoutMs: number,
  ctx: RequestContext,
): Promise<void> {
  const signal = ctx.connection.signal;
  const local = new AbortController();
  const onAbort = () => local.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (waits.length === 0) {
      // A fetch naming no partitions: nothing can wake it, so it just waits out max_wait_ms.
      await ctx.broker.clock.sleep(timeoutMs, local.signal).catch(() => undefined);
      return;
    }
    await Promise.race(waits.map((w) => w.log.waitForData(w.offset, timeoutMs, local.signal)));
  } finally {
    signal.removeEventListener('abort', onAbort);
    local.abort();
  }
}
