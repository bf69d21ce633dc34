import { onKafkaNode } from '../helpers/targets.js';
import { kafkaToolsSuite } from '../suites/kafka-tools.js';

// The suite itself is test/suites/kafka-tools.ts; test/compat/kafka-tools.test.ts runs it on the embedded broker.
onKafkaNode('kafka tools', kafkaToolsSuite);
