import { onEmbeddedBroker } from '../helpers/targets.js';
import { producerFetchSuite } from '../suites/client.js';

// The suite lives in test/suites/client.ts; test/kafka/client.test.ts runs it on the Kafka cluster.
onEmbeddedBroker('client: producer and fetch', producerFetchSuite);
