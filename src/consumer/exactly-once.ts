import type { OffsetToCommit } from '../client/group.js';
import { type Message, Producer, type ProducerOptions } from '../client/producer.js';
import { ConsumerConfigError, type ConsumerRuntimeOptions } from './config.js';
import { KafkaSource, type KafkaSourceOptions } from './kafka-record-source.js';
import { ConsumerRuntime } from './runtime.js';
import type { ConsumerRecord, Sink, TransactionCommitter } from './types.js';

/**
 * Exactly-once Kafka-to-Kafka: consume (read_committed), transform, produce the outputs and commit the
 * input offsets in one transaction per commit interval. The runtime's credits and backpressure are
 * unchanged; at each commit it stops fetching until the records in flight finish, so a transaction holds
 * the outputs of exactly the records below the offsets it commits. A failed transform aborts the
 * transaction and every partition is read again from its last committed offset.
 */

export interface ExactlyOnceOptions
  extends Omit<ConsumerRuntimeOptions, 'source' | 'sink' | 'transactions' | 'deadLetter'>,
    Omit<KafkaSourceOptions, 'clock' | 'isolationLevel'> {
  /** One per instance of the job (and stable across its restarts): a restarted instance fences its zombie. */
  transactionalId: string;
  /** The output records for one input record (none is fine); a throw aborts the transaction. */
  transform(record: ConsumerRecord): Message[] | Promise<Message[]>;
  /** Producer settings beyond the transactional id (batching, compression, buffer). */
  producer?: Omit<ProducerOptions, 'transactionalId' | 'brokers' | 'cluster' | 'idempotent' | 'acks'>;
}

/** The producer side: the sink sends into the open transaction, the committer ends it. */
class KafkaTransactions implements Sink, TransactionCommitter {
  readonly name = 'kafka (transactional)';

  constructor(
    private readonly producer: Producer,
    private readonly groupId: string,
    private readonly transform: ExactlyOnceOptions['transform'],
  ) {}

  init(): Promise<void> {
    return this.producer.initTransactions();
  }

  async write(record: ConsumerRecord): Promise<void> {
    const outputs = await this.transform(record);
    if (outputs.length === 0) return;
    this.open();
    await this.producer.send(outputs);
  }

  async commit(offsets: OffsetToCommit[]): Promise<void> {
    this.open();
    await this.producer.sendOffsetsToTransaction(
      offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
      this.groupId,
    );
    await this.producer.commitTransaction();
  }

  async abort(): Promise<void> {
    if (this.producer.transactionState === 'in-transaction') await this.producer.abortTransaction();
  }

  async close(): Promise<void> {
    await this.producer.close();
  }

  private open(): void {
    if (this.producer.transactionState !== 'in-transaction') this.producer.beginTransaction();
  }
}

/** A consumer runtime that runs `transform` exactly once per input record, as seen by read_committed readers. */
export function createExactlyOnceJob(options: ExactlyOnceOptions): ConsumerRuntime {
  if (typeof options.transform !== 'function') {
    throw new ConsumerConfigError(
      'exactly-once job: `transform(record)` returning the output messages is required',
    );
  }
  const source = new KafkaSource({ ...options, isolationLevel: 1 });
  const producer = new Producer({
    ...options.producer,
    cluster: source.cluster,
    transactionalId: options.transactionalId,
  });
  const txn = new KafkaTransactions(producer, options.groupId, options.transform);
  return new ConsumerRuntime({ ...options, source, sink: txn, transactions: txn });
}
