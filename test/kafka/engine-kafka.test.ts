import { onKafkaCluster } from '../helpers/targets.js';
import { engineKafkaSuite } from '../suites/engine-kafka.js';

// The stream engine's Kafka job on the rig's three-broker cluster: the suite test/e2e/engine-kafka.test.ts
// runs on the embedded broker.
onKafkaCluster('stream engine on Kafka', engineKafkaSuite);
