import type { Logger } from 'pino';
import type { Clock, Timer } from '../../flow/clock.js';
import { checkNumber, meetsRule } from '../../flow/validate.js';
import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';
import { buildRecordBatch, decodeRecords, iterateBatches } from '../../protocol/record-batch.js';
import { offsetsPartitionFor } from '../groups/offsets-topic-format.js';
import type { ProducerStates } from '../producer-state.js';
import type { PartitionHandle, TopicStore } from '../topic-store.js';
import { defaultTransactionCoordinatorConfig, type TransactionCoordinatorConfig } from './config.js';
import {
  buildTransactionMarker,
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  TXN_STATE_NAMES,
  TxnStatus,
  type TxnStatusValue,
} from './transaction-log-format.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** What the transaction coordinator needs of the group coordinator: offsets committed in transactions. */
export interface TransactionalOffsets {
  readonly offsetsTopic: string;
  /** The `__consumer_offsets` partition holding a group's records. */
  partitionFor(groupId: string): number;
  /** The marker is written in that partition: the producer's pending offsets become visible or vanish. */
  completeTransaction(partition: number, producerId: bigint, commit: boolean): void;
}

export interface TransactionCoordinatorOptions {
  clock: Clock;
  store: TopicStore;
  producers: ProducerStates;
  offsets: TransactionalOffsets;
  logger: Logger;
  config?: Partial<TransactionCoordinatorConfig>;
}

interface TxnMetadata {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  status: TxnStatusValue;
  /** topic -> partitions written (or about to be) in the current transaction. */
  partitions: Map<string, Set<number>>;
  startTimestampMs: number;
  lastUpdateMs: number;
  /** A state change is being written: other requests get CONCURRENT_TRANSACTIONS and retry. */
  busy: boolean;
}

export interface ProducerIdResult {
  errorCode: ErrorCodeValue;
  producerId: bigint;
  producerEpoch: number;
}

export interface DescribedTransaction {
  errorCode: ErrorCodeValue;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: Array<{ topic: string; partitions: number[] }>;
}

const isPrepared = (txn: TxnMetadata) =>
  txn.status === TxnStatus.PrepareCommit || txn.status === TxnStatus.PrepareAbort;

/** Kafka bumps to a new producer id before the int16 epoch runs out (Short.MaxValue - 1). */
const MAX_EPOCH = 32766;
const READ_CHUNK_BYTES = 1 << 20;

/**
 * Kafka's transaction coordinator (KIP-98) for one broker: transactional ids, their producer id and
 * epoch (bumped on every InitProducerId, which fences the previous holder), the partitions and group
 * offsets of the open transaction, and its end: the commit or abort marker written to every partition
 * of the transaction, then the completed state. Each state change is a record in the compacted
 * `__transaction_state` topic before it is acted on, so after a crash `start()` finds transactions
 * caught between prepare and complete and finishes them; open transactions whose producer went away are
 * aborted once their timeout passes.
 */
export class TransactionCoordinator {
  readonly config: TransactionCoordinatorConfig;
  private readonly txns = new Map<string, TxnMetadata>();
  private readonly byProducerId = new Map<bigint, TxnMetadata>();
  /** Transactions answered by EndTxn whose markers are still being written. */
  private readonly completing = new Set<Promise<void>>();
  private timer: Timer | undefined;
  private readonly clock: Clock;
  private readonly store: TopicStore;
  private readonly producers: ProducerStates;
  private readonly offsets: TransactionalOffsets;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: TransactionCoordinatorOptions) {
    this.config = { ...defaultTransactionCoordinatorConfig, ...options.config };
    // Every setting is a duration in milliseconds.
    for (const [name, value] of Object.entries(this.config))
      checkNumber(`transactions.${name} (ms)`, value, { integer: true, positive: true });
    this.clock = options.clock;
    this.store = options.store;
    this.producers = options.producers;
    this.offsets = options.offsets;
    this.logger = options.logger;
  }

  /** Replays `__transaction_state`, finishes transactions caught mid-way by a crash, starts the timeout check. */
  async start(): Promise<void> {
    const partitions = this.store.partitionCount(TRANSACTION_STATE_TOPIC) ?? 0;
    for (let p = 0; p < partitions; p++) await this.replay(p);
    for (const txn of this.txns.values()) {
      if (isPrepared(txn)) {
        await this.writeMarkersAndComplete(txn, txn.status === TxnStatus.PrepareCommit);
      }
    }
    this.timer = this.clock.setInterval(() => {
      this.completeStuckPrepares();
      this.abortTimedOut().catch((err) =>
        this.logger.error({ err }, 'aborting timed-out transactions failed'),
      );
    }, this.config.abortCheckIntervalMs);
    this.logger.info(
      { transactionalIds: this.txns.size },
      'transaction coordinator loaded __transaction_state',
    );
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
  }

  // ------------------------------------------------------------------ producer ids

  async initProducerId(
    transactionalId: string,
    timeoutMs: number,
    expected: { producerId: bigint; producerEpoch: number } | undefined,
  ): Promise<ProducerIdResult> {
    const fail = (errorCode: ErrorCodeValue): ProducerIdResult => ({
      errorCode,
      producerId: -1n,
      producerEpoch: -1,
    });
    if (this.closed) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    if (!meetsRule(timeoutMs, { positive: true, max: this.config.maxTimeoutMs }))
      return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    let txn = this.txns.get(transactionalId);
    if (!txn) {
      txn = {
        transactionalId,
        producerId: this.producers.allocate(),
        producerEpoch: -1,
        timeoutMs,
        status: TxnStatus.Empty,
        partitions: new Map(),
        startTimestampMs: -1,
        lastUpdateMs: this.clock.now(),
        busy: false,
      };
      this.remember(txn);
    }
    // A prepared transaction must end as decided first (its markers are being written, or will be by the periodic check).
    if (txn.busy || isPrepared(txn)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (expected && txn.producerEpoch >= 0) {
      // KIP-360: a producer re-initialising names its id and epoch; anyone else's is a zombie's.
      const sameProducer =
        expected.producerId === txn.producerId && expected.producerEpoch === txn.producerEpoch;
      if (!sameProducer) return fail(ErrorCode.PRODUCER_FENCED);
    }
    if (txn.status === TxnStatus.Ongoing) {
      return { ...(await this.abortForNewProducer(txn)), producerId: -1n, producerEpoch: -1 };
    }
    txn.busy = true;
    try {
      this.bumpEpoch(txn);
      txn.timeoutMs = timeoutMs;
      txn.status = TxnStatus.Empty;
      txn.partitions = new Map();
      txn.startTimestampMs = -1;
      await this.persist(txn);
      this.logger.info(
        { transactionalId, producerId: String(txn.producerId), epoch: txn.producerEpoch },
        'transactional producer initialised',
      );
      return { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
    } catch (err) {
      this.logger.error({ err, transactionalId }, 'InitProducerId not written to __transaction_state');
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    } finally {
      txn.busy = false;
    }
  }

  /**
   * InitProducerId while the previous holder's transaction is open, as Kafka answers it: the epoch is
   * bumped (fencing that holder), the abort is prepared and the markers written behind the answer,
   * CONCURRENT_TRANSACTIONS. The client's retry, once the abort is complete, bumps the epoch again and
   * gets it.
   */
  private async abortForNewProducer(txn: TxnMetadata): Promise<{ errorCode: ErrorCodeValue }> {
    txn.busy = true;
    this.bumpEpoch(txn);
    try {
      await this.prepare(txn, false);
    } catch (err) {
      txn.status = TxnStatus.Ongoing;
      txn.busy = false;
      this.logger.error(
        { err, transactionalId: txn.transactionalId },
        'InitProducerId: the abort was not prepared',
      );
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    }
    this.completeInBackground(txn, false);
    return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
  }

  private bumpEpoch(txn: TxnMetadata): void {
    if (txn.producerEpoch >= MAX_EPOCH) {
      this.byProducerId.delete(txn.producerId);
      txn.producerId = this.producers.allocate();
      txn.producerEpoch = 0;
      this.byProducerId.set(txn.producerId, txn);
    } else {
      txn.producerEpoch++;
    }
  }

  // ------------------------------------------------------------------ the transaction

  /** Checks the producer's id and epoch against the transactional id's, as every transactional request must. */
  private validate(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
  ): TxnMetadata | ErrorCodeValue {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const txn = this.txns.get(transactionalId);
    if (!txn || txn.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (txn.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (txn.busy || isPrepared(txn)) return ErrorCode.CONCURRENT_TRANSACTIONS;
    return txn;
  }

  /** AddPartitionsToTxn: per partition error codes (one failure fails the rest with OPERATION_NOT_ATTEMPTED). */
  async addPartitions(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    topics: Array<{ name: string; partitions: number[] }>,
  ): Promise<Array<{ name: string; partitions: Array<{ partition: number; errorCode: ErrorCodeValue }> }>> {
    const answer = (code: (topic: string, p: number) => ErrorCodeValue) =>
      topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partition: p, errorCode: code(t.name, p) })),
      }));
    const txn = this.validate(transactionalId, producerId, producerEpoch);
    if (typeof txn === 'number') return answer(() => txn);
    const unknown = (topic: string, p: number) => {
      const count = this.store.partitionCount(topic);
      return count === undefined || p < 0 || p >= count;
    };
    if (topics.some((t) => t.partitions.some((p) => unknown(t.name, p)))) {
      return answer((t, p) =>
        unknown(t, p) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED,
      );
    }
    const code = await this.addToTransaction(txn, topics);
    return answer(() => code);
  }

  /** AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction. */
  async addOffsets(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    groupId: string,
  ): Promise<ErrorCodeValue> {
    const txn = this.validate(transactionalId, producerId, producerEpoch);
    if (typeof txn === 'number') return txn;
    if (!groupId) return ErrorCode.INVALID_GROUP_ID;
    return this.addToTransaction(txn, [
      { name: this.offsets.offsetsTopic, partitions: [this.offsets.partitionFor(groupId)] },
    ]);
  }

  private async addToTransaction(
    txn: TxnMetadata,
    topics: Array<{ name: string; partitions: number[] }>,
  ): Promise<ErrorCodeValue> {
    const fresh = txn.status !== TxnStatus.Ongoing;
    const adds = topics.some((t) => t.partitions.some((p) => !txn.partitions.get(t.name)?.has(p)));
    if (!fresh && !adds) return ErrorCode.NONE;
    const before = { status: txn.status, partitions: txn.partitions, start: txn.startTimestampMs };
    const partitions = fresh
      ? new Map<string, Set<number>>()
      : new Map([...txn.partitions].map(([t, s]) => [t, new Set(s)]));
    for (const t of topics) {
      let set = partitions.get(t.name);
      if (!set) partitions.set(t.name, (set = new Set()));
      for (const p of t.partitions) set.add(p);
    }
    txn.busy = true;
    txn.status = TxnStatus.Ongoing;
    txn.partitions = partitions;
    if (fresh) txn.startTimestampMs = this.clock.now();
    try {
      await this.persist(txn);
      return ErrorCode.NONE;
    } catch (err) {
      this.logger.error({ err, transactionalId: txn.transactionalId }, 'AddPartitionsToTxn not written');
      txn.status = before.status;
      txn.partitions = before.partitions;
      txn.startTimestampMs = before.start;
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    } finally {
      txn.busy = false;
    }
  }

  /**
   * EndTxn, as Kafka's coordinator answers it: the prepare record is made durable, then the producer
   * gets NONE while the markers are written behind the answer. Until the complete record follows,
   * the transactional id's next request (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, an EndTxn
   * retry) gets CONCURRENT_TRANSACTIONS and is retried by the client. A retry of a finished
   * transaction is answered NONE.
   */
  async endTransaction(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    commit: boolean,
  ): Promise<ErrorCodeValue> {
    const txn = this.validate(transactionalId, producerId, producerEpoch);
    if (typeof txn === 'number') return txn;
    if (txn.status === TxnStatus.CompleteCommit) return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
    if (txn.status === TxnStatus.CompleteAbort) return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
    if (txn.status !== TxnStatus.Ongoing) return ErrorCode.INVALID_TXN_STATE;
    txn.busy = true;
    try {
      await this.prepare(txn, commit);
    } catch (err) {
      txn.status = TxnStatus.Ongoing;
      txn.busy = false;
      this.logger.error({ err, transactionalId }, 'EndTxn: the prepare record was not written');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    this.completeInBackground(txn, commit);
    return ErrorCode.NONE;
  }

  /**
   * Writes the markers and the complete record of a prepared transaction without holding up the
   * caller; the transactional id stays busy until then. A failure leaves the prepare in place, which
   * the periodic check (or the next start) completes.
   */
  private completeInBackground(txn: TxnMetadata, commit: boolean): void {
    const done = this.writeMarkersAndComplete(txn, commit)
      .catch((err) => {
        if (!this.closed)
          this.logger.error(
            { err, transactionalId: txn.transactionalId },
            'writing the transaction markers failed; retried by the periodic check',
          );
      })
      .finally(() => {
        txn.busy = false;
        this.completing.delete(done);
      });
    this.completing.add(done);
  }

  /** Resolves once every transaction answered by EndTxn has its markers and complete record written. */
  async settled(): Promise<void> {
    while (this.completing.size > 0) await Promise.all(this.completing);
  }

  /**
   * A transactional Produce batch must come from the transactional id's current epoch, into a partition
   * added to its open transaction (Kafka's transaction.partition.verification.enable). NONE when fine.
   */
  verifyProduce(producerId: bigint, producerEpoch: number, topic: string, partition: number): ErrorCodeValue {
    const txn = this.byProducerId.get(producerId);
    if (!txn) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (producerEpoch < txn.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (producerEpoch > txn.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (txn.status !== TxnStatus.Ongoing || !txn.partitions.get(topic)?.has(partition))
      return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /**
   * Prepare (durable), then a marker in every partition of the transaction, then complete (durable).
   * A crash between the two state records leaves a prepare that `start()` finishes: markers written
   * twice are harmless, as the second finds no open transaction.
   */
  private async prepareMarkAndComplete(txn: TxnMetadata, commit: boolean): Promise<void> {
    await this.prepare(txn, commit);
    await this.writeMarkersAndComplete(txn, commit);
  }

  /** The durable decision: once the prepare record is written the transaction ends this way, crash or not. */
  private async prepare(txn: TxnMetadata, commit: boolean): Promise<void> {
    txn.status = commit ? TxnStatus.PrepareCommit : TxnStatus.PrepareAbort;
    await this.persist(txn);
  }

  private async writeMarkersAndComplete(txn: TxnMetadata, commit: boolean): Promise<void> {
    const timestamp = this.clock.now();
    for (const [topic, partitions] of txn.partitions) {
      for (const partition of partitions) {
        const log = this.store.partition(topic, partition);
        if (!log) continue; // the topic was deleted mid-transaction: nothing left to mark
        await this.writeMarker(log, topic, partition, txn, commit, timestamp);
      }
    }
    txn.status = commit ? TxnStatus.CompleteCommit : TxnStatus.CompleteAbort;
    txn.partitions = new Map();
    await this.persist(txn);
    this.logger.debug(
      { transactionalId: txn.transactionalId, producerId: String(txn.producerId), commit },
      'transaction ended',
    );
  }

  private async writeMarker(
    log: PartitionHandle,
    topic: string,
    partition: number,
    txn: TxnMetadata,
    commit: boolean,
    timestamp: number,
  ): Promise<void> {
    const marker = await buildTransactionMarker({
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      commit,
      coordinatorEpoch: 0,
      timestamp,
    });
    const { baseOffset } = await log.append(marker, { durable: true });
    const aborted = this.producers.endTransaction(
      topic,
      partition,
      txn.producerId,
      txn.producerEpoch,
      baseOffset,
      commit,
    );
    if (aborted) await log.recordAbortedTransaction(aborted);
    if (topic === this.offsets.offsetsTopic)
      this.offsets.completeTransaction(partition, txn.producerId, commit);
  }

  /** Prepared transactions whose markers failed to be written (a disk error) are tried again. */
  private completeStuckPrepares(): void {
    for (const txn of this.txns.values()) {
      if (!isPrepared(txn) || txn.busy) continue;
      txn.busy = true;
      this.completeInBackground(txn, txn.status === TxnStatus.PrepareCommit);
    }
  }

  /** Aborts, with a fencing epoch bump, every open transaction older than its timeout. */
  async abortTimedOut(): Promise<number> {
    const now = this.clock.now();
    let aborted = 0;
    for (const txn of this.txns.values()) {
      if (txn.busy || txn.status !== TxnStatus.Ongoing || now - txn.startTimestampMs < txn.timeoutMs)
        continue;
      txn.busy = true;
      try {
        this.bumpEpoch(txn);
        await this.prepareMarkAndComplete(txn, false);
        aborted++;
        this.logger.info(
          { transactionalId: txn.transactionalId, timeoutMs: txn.timeoutMs },
          'transaction timed out and was aborted',
        );
      } finally {
        txn.busy = false;
      }
    }
    return aborted;
  }

  // ------------------------------------------------------------------ tools

  describe(transactionalId: string): DescribedTransaction {
    const txn = this.txns.get(transactionalId);
    if (!txn) return undescribedTransaction(transactionalId, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    return {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: TXN_STATE_NAMES[txn.status],
      transactionTimeoutMs: txn.timeoutMs,
      transactionStartTimeMs: BigInt(txn.startTimestampMs),
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      topics: [...txn.partitions].map(([topic, ps]) => ({
        topic,
        partitions: [...ps].sort((a, b) => a - b),
      })),
    };
  }

  /** ListTransactions: filters by state name, producer id and (v1) minimum running time; empty filters match all. */
  list(
    states: string[],
    producerIds: bigint[],
    minDurationMs: number,
  ): {
    unknownStateFilters: string[];
    transactions: Array<{ transactionalId: string; producerId: bigint; transactionState: string }>;
  } {
    const known = new Set(Object.values(TXN_STATE_NAMES));
    const unknownStateFilters = states.filter((s) => !known.has(s));
    const wanted = new Set(states);
    const ids = new Set(producerIds);
    const now = this.clock.now();
    const transactions = [...this.txns.values()]
      .filter((t) => wanted.size === 0 || wanted.has(TXN_STATE_NAMES[t.status]))
      .filter((t) => ids.size === 0 || ids.has(t.producerId))
      .filter(
        (t) =>
          minDurationMs < 0 || (t.status === TxnStatus.Ongoing && now - t.startTimestampMs >= minDurationMs),
      )
      .map((t) => ({
        transactionalId: t.transactionalId,
        producerId: t.producerId,
        transactionState: TXN_STATE_NAMES[t.status],
      }));
    return { unknownStateFilters, transactions };
  }

  // ------------------------------------------------------------------ __transaction_state

  private remember(txn: TxnMetadata): void {
    this.txns.set(txn.transactionalId, txn);
    this.byProducerId.set(txn.producerId, txn);
  }

  private async persist(txn: TxnMetadata): Promise<void> {
    txn.lastUpdateMs = this.clock.now();
    const partitions = this.store.partitionCount(TRANSACTION_STATE_TOPIC) ?? 1;
    const log = this.store.partition(
      TRANSACTION_STATE_TOPIC,
      offsetsPartitionFor(txn.transactionalId, partitions),
    );
    if (!log) throw new Error(`${TRANSACTION_STATE_TOPIC} is missing; was it deleted?`);
    const value = encodeTransactionLogValue({
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      transactionTimeoutMs: txn.timeoutMs,
      status: txn.status,
      partitions: [...txn.partitions].map(([topic, ps]) => ({ topic, partitionIds: [...ps] })),
      lastUpdateTimestampMs: txn.lastUpdateMs,
      startTimestampMs: txn.startTimestampMs,
    });
    const batch = await buildRecordBatch({
      records: [{ key: encodeTransactionLogKey(txn.transactionalId), value }],
      timestamp: txn.lastUpdateMs,
    });
    await log.append(batch, { durable: true });
  }

  private async replay(partition: number): Promise<void> {
    const log = this.store.partition(TRANSACTION_STATE_TOPIC, partition);
    if (!log) return;
    let next = log.logStartOffset;
    const end = log.highWatermark;
    while (next < end) {
      const { records } = log.read(next, READ_CHUNK_BYTES);
      if (records.length === 0) break;
      for (const { buf, header } of iterateBatches(records)) {
        for (const r of await decodeRecords(buf)) {
          if (r.offset < next || r.key === null) continue;
          this.replayRecord(r.key, r.value);
        }
        next = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
      }
    }
  }

  private replayRecord(key: Buffer, value: Buffer | null): void {
    try {
      const transactionalId = decodeTransactionLogKey(key);
      const previous = this.txns.get(transactionalId);
      if (previous) this.byProducerId.delete(previous.producerId);
      if (value === null || value.length === 0) {
        this.txns.delete(transactionalId);
        return;
      }
      const v = decodeTransactionLogValue(value);
      this.remember({
        transactionalId,
        producerId: v.producerId,
        producerEpoch: v.producerEpoch,
        timeoutMs: v.transactionTimeoutMs,
        status: v.status,
        partitions: new Map(v.partitions.map((p) => [p.topic, new Set(p.partitionIds)])),
        startTimestampMs: v.startTimestampMs,
        lastUpdateMs: v.lastUpdateTimestampMs,
        busy: false,
      });
    } catch (err) {
      this.logger.warn({ err }, 'skipping an unreadable __transaction_state record');
    }
  }
}

/** A DescribeTransactions entry that says only why the id is not described: every field at Kafka's default. */
export function undescribedTransaction(
  transactionalId: string,
  errorCode: ErrorCodeValue,
): DescribedTransaction {
  return {
    errorCode,
    transactionalId,
    transactionState: '',
    transactionTimeoutMs: 0,
    transactionStartTimeMs: -1n,
    producerId: -1n,
    producerEpoch: -1,
    topics: [],
  };
}
