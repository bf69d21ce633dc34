import { onEmbeddedBroker } from '../helpers/targets.js';
import { consumerRuntimeSuite } from '../suites/consumer-runtime.js';

// The suite lives in test/suites/consumer-runtime.ts; test/kafka/consumer-runtime.test.ts runs it on
// the Kafka cluster.
onEmbeddedBroker('consumer runtime', consumerRuntimeSuite);
