import { onEmbeddedBroker } from '../helpers/targets.js';
import { engineKafkaSuite } from '../suites/engine-kafka.js';

// The suite lives in test/suites/engine-kafka.ts; test/kafka/engine-kafka.test.ts runs it on the
// three-broker Kafka cluster.
onEmbeddedBroker('stream engine on Kafka', engineKafkaSuite);
