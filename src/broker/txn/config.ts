/**
 * The transaction options a broker takes. They sit below everything else in the broker so that the
 * broker's config can name them without importing the coordinator or its handlers.
 */

export interface TransactionCoordinatorConfig {
  /** Kafka's transaction.max.timeout.ms: a producer asking for more gets INVALID_TRANSACTION_TIMEOUT. */
  maxTimeoutMs: number;
  /** Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms: how often timeouts are looked for. */
  abortCheckIntervalMs: number;
}

export const defaultTransactionCoordinatorConfig: TransactionCoordinatorConfig = {
  maxTimeoutMs: 900_000,
  abortCheckIntervalMs: 10_000,
};

/** Broker options for transactions (`BrokerOptions.transactions`). */
export interface BrokerTransactionsOptions extends Partial<TransactionCoordinatorConfig> {
  /** Partitions of `__transaction_state` when the broker creates it (Kafka's default is 50; ours 1). */
  stateTopicPartitions?: number;
}
