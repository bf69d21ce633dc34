import type { Clock } from '../flow/clock.js';
import { ErrorCode } from '../protocol/errors.js';
import type { AbortedTxnEntry } from './storage/txn-index.js';

/**
 * The producer-state table (KIP-98), one for idempotence and transactions. Idempotence: each producer
 * id writes batches with consecutive sequence numbers per partition, so a batch retried after a lost
 * response is recognised and answered with its original offset instead of being written twice.
 * Transactions: per partition, the first offset of every producer's open transaction (the last stable
 * offset is the smallest of them) and the transactions that were aborted, with the offset range each
 * spans, which read_committed fetches hand to clients so they drop those records. State lives in
 * memory and is rebuilt from the log at start-up (producer-recovery.ts); the aborted transactions are
 * also kept on disk per segment, in Kafka's `.txnindex` files (storage/txn-index.ts).
 */
type SequenceDecision =
  | { kind: 'append'; commit(baseOffset: bigint): void; abort(): void }
  | { kind: 'duplicate'; baseOffset: Promise<bigint> }
  | { kind: 'error'; errorCode: number; message: string };

interface ProducerBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

interface Entry {
  firstSeq: number;
  lastSeq: number;
  baseOffset: Promise<bigint>;
}

interface State {
  epoch: number;
  lastSeq: number;
  recent: Entry[];
}

/** Kafka keeps the last five batches per producer and partition for duplicate detection. */
const RECENT = 5;

/**
 * An aborted transaction in one partition: its producer, the offsets from its first batch to its
 * marker, and the last stable offset once the marker was written (the `.txnindex` entry, txn-index.ts).
 */
export type AbortedTxn = AbortedTxnEntry;

interface PartitionTxns {
  /** Producer id -> first offset of its open transaction in this partition. */
  open: Map<bigint, bigint>;
  /** Aborted transactions, in marker (lastOffset) order. */
  aborted: AbortedTxn[];
}

export class ProducerStates {
  private nextId: bigint;
  private readonly states = new Map<string, State>();
  private readonly txns = new Map<string, PartitionTxns>();

  constructor(clock: Clock) {
    // Ids grow with wall time so a restarted broker never hands out an id it gave before.
    this.nextId = BigInt(clock.now()) * 16n;
  }

  allocate(): bigint {
    return this.nextId++;
  }

  /** Decides what to do with a batch before it is appended, reserving its sequence numbers. */
  check(topic: string, partition: number, batch: ProducerBatch): SequenceDecision {
    const key = `${topic}\u0000${partition}\u0000${batch.producerId}`;
    const first = batch.baseSequence;
    const last = first + Math.max(0, batch.recordCount - 1);
    const st = this.states.get(key);
    if (st && batch.producerEpoch < st.epoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${batch.producerId} epoch ${batch.producerEpoch} is older than ${st.epoch}`,
      };
    }
    if (st && batch.producerEpoch === st.epoch) {
      const dup = st.recent.find((e) => e.firstSeq === first && e.lastSeq === last);
      if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset };
      if (first !== st.lastSeq + 1) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `producer ${batch.producerId} sent sequence ${first}; expected ${st.lastSeq + 1}`,
        };
      }
    } else if (st && first !== 0) {
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${batch.producerId} began epoch ${batch.producerEpoch} at sequence ${first}, not 0`,
      };
    }
    const state: State =
      st && batch.producerEpoch === st.epoch ? st : { epoch: batch.producerEpoch, lastSeq: -1, recent: [] };
    this.states.set(key, state);
    let settle!: (offset: bigint) => void;
    let fail!: (err: Error) => void;
    const baseOffset = new Promise<bigint>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    baseOffset.catch(() => undefined);
    const entry: Entry = { firstSeq: first, lastSeq: last, baseOffset };
    const previousLast = state.lastSeq;
    state.lastSeq = last;
    state.recent.push(entry);
    if (state.recent.length > RECENT) state.recent.shift();
    return {
      kind: 'append',
      commit: (offset) => settle(offset),
      abort: () => {
        fail(new Error('append failed'));
        // A failed batch is no original to answer retries with. Its sequence is given back if nothing
        // was reserved after it (the retry fits); otherwise the gap stays and the producer must bump
        // its epoch, as with Kafka.
        const at = state.recent.indexOf(entry);
        if (at >= 0) state.recent.splice(at, 1);
        if (at === state.recent.length) state.lastSeq = previousLast;
      },
    };
  }

  /**
   * Re-learns a batch that is already in the log (called in log order at start-up), so that a producer
   * retrying it after a broker crash gets its original offset back instead of a second copy.
   */
  restore(topic: string, partition: number, batch: ProducerBatch, baseOffset: bigint): void {
    const key = `${topic}\u0000${partition}\u0000${batch.producerId}`;
    let st = this.states.get(key);
    if (st && batch.producerEpoch < st.epoch) return;
    if (!st || batch.producerEpoch > st.epoch) {
      st = { epoch: batch.producerEpoch, lastSeq: -1, recent: [] };
      this.states.set(key, st);
    }
    const last = batch.baseSequence + Math.max(0, batch.recordCount - 1);
    st.lastSeq = last;
    st.recent.push({ firstSeq: batch.baseSequence, lastSeq: last, baseOffset: Promise.resolve(baseOffset) });
    if (st.recent.length > RECENT) st.recent.shift();
  }

  forgetTopic(topic: string): void {
    for (const key of this.states.keys()) if (key.startsWith(`${topic}\u0000`)) this.states.delete(key);
    for (const key of this.txns.keys()) if (key.startsWith(`${topic}\u0000`)) this.txns.delete(key);
  }

  // ------------------------------------------------------------------ transactions

  private partitionTxns(topic: string, partition: number): PartitionTxns {
    const key = `${topic}\u0000${partition}`;
    let t = this.txns.get(key);
    if (!t) this.txns.set(key, (t = { open: new Map(), aborted: [] }));
    return t;
  }

  /**
   * A transactional batch of `producerId` is at `offset` (or, before its append resolves, at no lower
   * offset): the first one opens the producer's transaction in the partition. Marking before the append
   * with the high watermark as a lower bound keeps the last stable offset from ever passing it.
   */
  noteTransactionalBatch(topic: string, partition: number, producerId: bigint, offset: bigint): void {
    const t = this.partitionTxns(topic, partition);
    const first = t.open.get(producerId);
    if (first === undefined || offset < first) t.open.set(producerId, offset);
  }

  /** Corrects a provisional first offset once the append gave the real one (never below the provisional). */
  settleTransactionalBatch(
    topic: string,
    partition: number,
    producerId: bigint,
    provisional: bigint,
    actual: bigint | undefined,
  ): void {
    const t = this.partitionTxns(topic, partition);
    if (t.open.get(producerId) !== provisional) return;
    if (actual === undefined) t.open.delete(producerId);
    else t.open.set(producerId, actual);
  }

  /** Whether `producerId` has an open transaction in the partition (it wrote there since its last marker). */
  hasOpenTransaction(topic: string, partition: number, producerId: bigint): boolean {
    return this.txns.get(`${topic}\u0000${partition}`)?.open.has(producerId) ?? false;
  }

  /**
   * The marker at `markerOffset` ended the producer's transaction in the partition: it is no longer
   * open and, if aborted, its range is remembered for read_committed readers. The marker's epoch also
   * becomes the producer's epoch here, so a zombie with an older one is refused (INVALID_PRODUCER_EPOCH).
   * Returns the aborted transaction's entry, if it was one, for the segment's `.txnindex`.
   */
  endTransaction(
    topic: string,
    partition: number,
    producerId: bigint,
    producerEpoch: number,
    markerOffset: bigint,
    commit: boolean,
  ): AbortedTxn | undefined {
    const t = this.partitionTxns(topic, partition);
    const first = t.open.get(producerId);
    t.open.delete(producerId);
    let aborted: AbortedTxn | undefined;
    if (!commit && first !== undefined) {
      // The LSO as of the marker: transactions opened after it do not count, so a rebuild from the log agrees.
      const lastStableOffset = this.lastStableOffset(topic, partition, markerOffset + 1n);
      aborted = { producerId, firstOffset: first, lastOffset: markerOffset, lastStableOffset };
      t.aborted.push(aborted);
    }
    const key = `${topic}\u0000${partition}\u0000${producerId}`;
    const st = this.states.get(key);
    if (!st || producerEpoch > st.epoch)
      this.states.set(key, { epoch: producerEpoch, lastSeq: -1, recent: [] });
    return aborted;
  }

  /** The last stable offset: the first offset of the oldest open transaction, or the high watermark. */
  lastStableOffset(topic: string, partition: number, highWatermark: bigint): bigint {
    let lso = highWatermark;
    for (const first of this.txns.get(`${topic}\u0000${partition}`)?.open.values() ?? [])
      if (first < lso) lso = first;
    return lso;
  }

  /** Aborted transactions that overlap the offsets [from, to), oldest first, for a read_committed fetch. */
  abortedTransactions(topic: string, partition: number, from: bigint, to: bigint): AbortedTxn[] {
    const aborted = this.txns.get(`${topic}\u0000${partition}`)?.aborted ?? [];
    return aborted.filter((a) => a.lastOffset >= from && a.firstOffset < to);
  }

  /** Every aborted transaction still known in the partition, in marker order (the `.txnindex` rebuild). */
  allAborted(topic: string, partition: number): readonly AbortedTxn[] {
    return this.txns.get(`${topic}\u0000${partition}`)?.aborted ?? [];
  }

  /** Drops aborted ranges wholly below the log start (retention or DeleteRecords removed their records). */
  trimAborted(topic: string, partition: number, logStartOffset: bigint): void {
    const t = this.txns.get(`${topic}\u0000${partition}`);
    if (t) t.aborted = t.aborted.filter((a) => a.lastOffset >= logStartOffset);
  }
}
