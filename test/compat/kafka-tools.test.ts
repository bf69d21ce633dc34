import { kafkaTool } from '../helpers/kafka.js';
import { onEmbeddedBroker } from '../helpers/targets.js';
import { describeWithTools } from '../helpers/tools.js';
import { kafkaToolsSuite } from '../suites/kafka-tools.js';

// Kafka's own CLI tools against the embedded broker; test/kafka/kafka-tools.test.ts runs the same suite
// on a Kafka node of the rig.
describeWithTools('Kafka command-line tools', [kafkaTool()], () => {
  onEmbeddedBroker('kafka tools', kafkaToolsSuite);
});
