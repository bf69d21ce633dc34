import { onKafkaCluster } from '../helpers/targets.js';
import { transactionsSuite } from '../suites/transactions.js';

// The same transactional scenarios as test/e2e/transactions.test.ts, on the rig's three-broker cluster.
onKafkaCluster('transactions with real clients', transactionsSuite);
