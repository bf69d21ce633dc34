import { onEmbeddedBroker } from '../helpers/targets.js';
import { transactionsSuite } from '../suites/transactions.js';

// The transactional scenarios on the embedded broker; test/kafka/transactions.test.ts runs them on Kafka.
onEmbeddedBroker('transactions with real clients', transactionsSuite, { defaultPartitions: 1 });
