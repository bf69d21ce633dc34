import type { Logger } from 'pino';
import type { Clock } from '../../flow/clock.js';
import { checkNumber } from '../../flow/validate.js';
import { OFFSETS_TOPIC } from '../groups/broker-groups.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { ProducerStates } from '../producer-state.js';
import type { TopicStore } from '../topic-store.js';
import type { BrokerTransactionsOptions } from './config.js';
import { TRANSACTION_STATE_TOPIC, TransactionCoordinator } from './coordinator.js';

export interface BrokerTransactionsHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly producers: ProducerStates;
  registerInternalTopic(name: string): void;
}

/**
 * Creates the compacted `__transaction_state` if needed, replays it into a transaction coordinator
 * (finishing transactions a crash left half-ended); the broker then registers the transaction APIs
 * (handlers/index.ts transactionHandlers). Called after the group coordinator started, since
 * transactions commit group offsets.
 */
export async function startBrokerTransactions(
  host: BrokerTransactionsHost,
  store: TopicStore,
  groups: GroupCoordinator,
  options: BrokerTransactionsOptions = {},
): Promise<TransactionCoordinator> {
  const { stateTopicPartitions = 1, ...config } = options;
  checkNumber('transactions.stateTopicPartitions', stateTopicPartitions, { integer: true, min: 1 });
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
  return coordinator;
}
