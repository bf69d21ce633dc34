import { onEmbeddedBroker } from '../helpers/targets.js';
import { creditFetchSuite } from '../suites/client.js';

// The suite lives in test/suites/client.ts; test/kafka/client.test.ts runs it on the Kafka cluster.
onEmbeddedBroker('client: credit-driven fetch', creditFetchSuite);
