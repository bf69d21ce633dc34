import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import type { BrokerConnection } from './broker-connection.js';
import type { Cluster } from './cluster.js';
import {
  brokerError,
  KafkaBrokerError,
  KafkaClientError,
  ProducerFencedError,
  TransactionStateError,
} from './errors.js';
import { RetryPolicy } from './retry.js';

/**
 * The client side of Kafka's transactions for one transactional id: the producer id and epoch from
 * the transaction coordinator, the partitions and groups added to the open transaction, and EndTxn.
 * The producer owns the records; this owns the coordinator conversation and the state machine
 *   uninitialized → ready → in-transaction → ready …, and fenced (final) when a newer producer with the
 * same transactional id took over.
 */

export type TransactionState = 'uninitialized' | 'ready' | 'in-transaction' | 'fenced';

/** An input offset to commit with the transaction: the offset of the next record to read. */
export interface TransactionOffset {
  topic: string;
  partition: number;
  offset: bigint;
  metadata?: string | null;
}

const TXN = 1 as const;
const FENCING_CODES = new Set<number>([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH]);

export class TransactionManager {
  state: TransactionState = 'uninitialized';
  producerId = -1n;
  producerEpoch = -1;
  private readonly added = new Map<string, Promise<void>>();
  private pending: { topic: string; partition: number }[] = [];
  private addChain: Promise<void> = Promise.resolve();
  private offsetsAdded = false;
  /** The first error of a record or request in the open transaction: it can then only abort. */
  private failure: unknown = null;
  // The coordinator answers CONCURRENT_TRANSACTIONS while it still writes the previous transaction's
  // markers; Kafka's producer retries those quickly and for as long as its timeout, so do we.
  private readonly retry = new RetryPolicy({ retries: 60, initialBackoffMs: 20, maxBackoffMs: 500 });

  constructor(
    private readonly cluster: Cluster,
    readonly transactionalId: string,
    private readonly timeoutMs: number,
  ) {}

  /** InitProducerId with the transactional id: a new epoch, which fences any older producer of the id. */
  async init(): Promise<void> {
    if (this.state === 'fenced') this.throwFenced('initTransactions');
    const res = await this.request('InitProducerId', async (conn) => {
      const r = await conn.request(ApiKey.InitProducerId, {
        transactionalId: this.transactionalId,
        transactionTimeoutMs: this.timeoutMs,
      });
      this.check(r.errorCode, 'InitProducerId');
      return r;
    });
    this.producerId = res.producerId;
    this.producerEpoch = res.producerEpoch;
    this.resetTransaction();
    this.state = 'ready';
  }

  begin(): void {
    if (this.state === 'fenced') this.throwFenced('beginTransaction');
    if (this.state === 'uninitialized') {
      throw new TransactionStateError('beginTransaction: call initTransactions() first');
    }
    if (this.state === 'in-transaction') {
      throw new TransactionStateError(
        'beginTransaction: a transaction is already open; commit or abort it first',
      );
    }
    this.resetTransaction();
    this.state = 'in-transaction';
  }

  /** Throws unless records may be produced now (a transactional producer only sends inside a transaction). */
  assertCanSend(what: string): void {
    if (this.state === 'fenced') this.throwFenced(what);
    if (this.state !== 'in-transaction') {
      throw new TransactionStateError(
        `${what}: a transactional producer sends only inside a transaction; call beginTransaction() first`,
      );
    }
    if (this.failure) {
      throw new TransactionStateError(
        `${what}: the transaction failed earlier (${messageOf(this.failure)}); call abortTransaction()`,
      );
    }
  }

  /**
   * Resolves once the partition is part of the transaction. New partitions of one burst of sends go to
   * the coordinator in one AddPartitionsToTxn; a record is appended only after its partition was added,
   * so the broker never sees a transactional batch for a partition the coordinator does not know.
   */
  addPartition(topic: string, partition: number): Promise<void> {
    const key = `${topic}\u0000${partition}`;
    const known = this.added.get(key);
    if (known) return known;
    if (this.pending.length === 0) {
      const batch = this.pending;
      this.addChain = this.addChain.then(
        () => this.sendAddPartitions(batch),
        () => this.sendAddPartitions(batch),
      );
    }
    this.pending.push({ topic, partition });
    const chained = this.addChain;
    const done = chained.catch((err) => {
      this.added.delete(key);
      this.fail(err);
      throw err;
    });
    this.added.set(key, done);
    return done;
  }

  private async sendAddPartitions(batch: { topic: string; partition: number }[]): Promise<void> {
    this.pending = [];
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of batch) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    await this.request('AddPartitionsToTxn', async (conn) => {
      const r = await conn.request(ApiKey.AddPartitionsToTxn, {
        v3AndBelowTransactionalId: this.transactionalId,
        v3AndBelowProducerId: this.producerId,
        v3AndBelowProducerEpoch: this.producerEpoch,
        v3AndBelowTopics: topics,
      });
      // The coordinator answers OPERATION_NOT_ATTEMPTED for the partitions it skipped because another
      // one failed: report the one that did.
      const results = (r.resultsByTopicV3AndBelow ?? []).flatMap((t) =>
        t.resultsByPartition.map((p) => ({ topic: t.name, ...p })),
      );
      const failed =
        results.find(
          (p) => p.partitionErrorCode !== 0 && p.partitionErrorCode !== ErrorCode.OPERATION_NOT_ATTEMPTED,
        ) ?? results.find((p) => p.partitionErrorCode !== 0);
      if (failed)
        this.check(failed.partitionErrorCode, `AddPartitionsToTxn ${failed.topic}/${failed.partitionIndex}`);
    });
  }

  /**
   * Adds the group to the transaction (AddOffsetsToTxn at the transaction coordinator), then writes the
   * offsets at the group coordinator (TxnOffsetCommit). The group sees them only once the transaction commits.
   */
  async sendOffsets(groupId: string, offsets: TransactionOffset[]): Promise<void> {
    this.assertCanSend('sendOffsetsToTransaction');
    try {
      if (!this.offsetsAdded) {
        await this.request('AddOffsetsToTxn', async (conn) => {
          const r = await conn.request(ApiKey.AddOffsetsToTxn, {
            transactionalId: this.transactionalId,
            producerId: this.producerId,
            producerEpoch: this.producerEpoch,
            groupId,
          });
          this.check(r.errorCode, `AddOffsetsToTxn for group "${groupId}"`);
        });
        this.offsetsAdded = true;
      }
      const byTopic = new Map<string, TransactionOffset[]>();
      for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
      await this.cluster.withCoordinator(groupId, async (conn) => {
        const r = await conn.request(ApiKey.TxnOffsetCommit, {
          transactionalId: this.transactionalId,
          groupId,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          topics: [...byTopic].map(([name, list]) => ({
            name,
            partitions: list.map((o) => ({
              partitionIndex: o.partition,
              committedOffset: o.offset,
              committedMetadata: o.metadata ?? null,
            })),
          })),
        });
        for (const t of r.topics) {
          for (const p of t.partitions) {
            this.check(p.errorCode, `TxnOffsetCommit for group "${groupId}" ${t.name}/${p.partitionIndex}`);
          }
        }
      });
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  /** A record of the open transaction finally failed: the transaction can only abort now. */
  fail(err: unknown): void {
    if (err instanceof ProducerFencedError) this.state = 'fenced';
    this.failure ??= err;
  }

  hasFailed(): boolean {
    return this.failure !== null;
  }

  /** Throws the failure that makes a commit impossible, if any. */
  assertCommittable(): void {
    if (this.state === 'fenced') this.throwFenced('commitTransaction');
    if (this.state !== 'in-transaction') {
      throw new TransactionStateError(
        'commitTransaction: no transaction is open; call beginTransaction() first',
      );
    }
    if (this.failure) {
      throw new TransactionStateError(
        `commitTransaction: the transaction failed (${messageOf(this.failure)}); call abortTransaction() and retry the work`,
        { cause: this.failure },
      );
    }
  }

  /** EndTxn; a transaction that touched no partition and no group is ended locally, as Kafka's producer does. */
  async end(commit: boolean): Promise<void> {
    const what = commit ? 'commitTransaction' : 'abortTransaction';
    if (this.state === 'fenced') this.throwFenced(what);
    if (this.state !== 'in-transaction') {
      throw new TransactionStateError(`${what}: no transaction is open; call beginTransaction() first`);
    }
    // A partition still being added is part of the transaction once the coordinator answers.
    await this.addChain.catch(() => undefined);
    if (this.added.size > 0 || this.offsetsAdded) {
      await this.request('EndTxn', async (conn) => {
        const r = await conn.request(ApiKey.EndTxn, {
          transactionalId: this.transactionalId,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          committed: commit,
        });
        this.check(r.errorCode, commit ? 'EndTxn (commit)' : 'EndTxn (abort)');
      });
    }
    this.resetTransaction();
    this.state = 'ready';
  }

  /** Maps a coordinator's or partition leader's error code to the error to throw, fencing included. */
  check(code: number, context: string): void {
    if (code === 0) return;
    if (FENCING_CODES.has(code)) {
      this.state = 'fenced';
      throw new ProducerFencedError(this.transactionalId, code, context);
    }
    throw brokerError(code, context);
  }

  /** The error for a record whose batch failed: a fencing code becomes ProducerFencedError. */
  recordError(err: unknown): unknown {
    if (err instanceof KafkaBrokerError && FENCING_CODES.has(err.code)) {
      this.state = 'fenced';
      return new ProducerFencedError(this.transactionalId, err.code, err.context);
    }
    return err;
  }

  private request<T>(what: string, fn: (conn: BrokerConnection) => Promise<T>): Promise<T> {
    return this.retry
      .run(
        this.cluster.clock,
        async () => fn(await this.cluster.coordinator(this.transactionalId, TXN)),
        (err) => {
          if (!(err instanceof KafkaBrokerError) || err.code !== ErrorCode.CONCURRENT_TRANSACTIONS) {
            this.cluster.forgetCoordinator(this.transactionalId, TXN);
          }
        },
      )
      .catch((err) => {
        if (err instanceof KafkaClientError || this.state === 'fenced') throw err;
        throw new KafkaClientError(`${what} for transactional id "${this.transactionalId}" failed`, {
          cause: err,
        });
      });
  }

  private resetTransaction(): void {
    this.added.clear();
    this.pending = [];
    this.addChain = Promise.resolve();
    this.offsetsAdded = false;
    this.failure = null;
  }

  private throwFenced(what: string): never {
    throw new ProducerFencedError(this.transactionalId, ErrorCode.PRODUCER_FENCED, what);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
