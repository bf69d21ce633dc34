import type { Clock } from '../flow/clock.js';

/**
 * Idempotent producers (KIP-98 without transactions): each producer id writes batches with
 * consecutive sequence numbers per partition, so a batch retried after a lost response is recognised
 * and answered with its original offset instead of being written twice. State lives in memory: after
 * a restart the first batch of a producer is accepted whatever its sequence, as Kafka does for a
 * producer whose state it no longer has.
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
const INVALID_PRODUCER_EPOCH = 47;
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;

export class ProducerStates {
  private nextId: bigint;
  private readonly states = new Map<string, State>();

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
        errorCode: INVALID_PRODUCER_EPOCH,
        message: `producer ${batch.producerId} epoch ${batch.producerEpoch} is older than ${st.epoch}`,
      };
    }
    if (st && batch.producerEpoch === st.epoch) {
      const dup = st.recent.find((e) => e.firstSeq === first && e.lastSeq === last);
      if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset };
      if (first !== st.lastSeq + 1) {
        return {
          kind: 'error',
          errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `producer ${batch.producerId} sent sequence ${first}; expected ${st.lastSeq + 1}`,
        };
      }
    } else if (st && first !== 0) {
      return {
        kind: 'error',
        errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER,
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
  }
}
