import type { Logger } from 'pino';
import type { Clock } from '../../flow/clock.js';
import { OFFSETS_TOPIC } from '../groups/broker-groups.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { ApiHandler } from '../handler.js';
import { initProducerIdHandler } from '../handlers/22-init-producer-id.js';
import { addPartitionsToTxnHandler } from '../handlers/24-add-partitions-to-txn.js';
import { addOffsetsToTxnHandler } from '../handlers/25-add-offsets-to-txn.js';
import { endTxnHandler } from '../handlers/26-end-txn.js';
import { txnOffsetCommitHandler } from '../handlers/28-txn-offset-commit.js';
import { describeTransactionsHandler } from '../handlers/65-describe-transactions.js';
import { listTransactionsHandler } from '../handlers/66-list-transactions.js';
import type { ProducerStates } from '../producer-state.js';
import type { TopicStore } from '../topic-store.js';
import {
  TRANSACTION_STATE_TOPIC,
  TransactionCoordinator,
  type TransactionCoordinatorConfig,
} from './coordinator.js';

/** Broker options for transactions (`BrokerOptions.transactions`). */
export interface BrokerTransactionsOptions extends Partial<TransactionCoordinatorConfig> {
  /** Partitions of `__transaction_state` when the broker creates it (Kafka's default is 50; ours 1). */
  stateTopicPartitions?: number;
}

export interface BrokerTransactionsHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly producers: ProducerStates;
  readonly registry: { register<Req, Res>(handler: ApiHandler<Req, Res>): unknown };
  registerInternalTopic(name: string): void;
}

/**
 * Creates the compacted `__transaction_state` if needed, replays it into a transaction coordinator
 * (finishing transactions a crash left half-ended) and registers the transaction APIs. Called after the
 * group coordinator started, since transactions commit group offsets.
 */
export async function startBrokerTransactions(
  host: BrokerTransactionsHost,
  store: TopicStore,
  groups: GroupCoordinator,
  options: BrokerTransactionsOptions = {},
): Promise<TransactionCoordinator> {
  const { stateTopicPartitions = 1, ...config } = options;
  if (!Number.isInteger(stateTopicPartitions) || stateTopicPartitions < 1) {
    throw new RangeError(
      `transactions.stateTopicPartitions must be a positive integer, got ${stateTopicPartitions}`,
    );
  }
  if (store.partitionCount(TRANSACTION_STATE_TOPIC) === undefined) {
    await store.createTopic(TRANSACTION_STATE_TOPIC, stateTopicPartitions, {
      'cleanup.policy': 'compact',
      'retention.ms': '-1',
      'retention.bytes': '-1',
    });
  }
  host.registerInternalTopic(TRANSACTION_STATE_TOPIC);
  const coordinator = new TransactionCoordinator({
    clock: host.clock,
    store,
    producers: host.producers,
    logger: host.log.child({ component: 'transactions' }),
    config,
    offsets: {
      offsetsTopic: OFFSETS_TOPIC,
      partitionFor: (groupId) => groups.partitionFor(groupId),
      completeTransaction: (partition, producerId, commit) =>
        groups.completeTransaction(partition, producerId, commit),
    },
  });
  await coordinator.start();
  for (const handler of transactionHandlers(coordinator, groups)) host.registry.register(handler);
  return coordinator;
}

function transactionHandlers(
  transactions: TransactionCoordinator,
  groups: GroupCoordinator,
): ApiHandler<never, unknown>[] {
  return [
    initProducerIdHandler(transactions),
    addPartitionsToTxnHandler(transactions),
    addOffsetsToTxnHandler(transactions),
    endTxnHandler(transactions),
    txnOffsetCommitHandler(groups, transactions),
    describeTransactionsHandler(transactions),
    listTransactionsHandler(transactions),
  ] as ApiHandler<never, unknown>[];
}
