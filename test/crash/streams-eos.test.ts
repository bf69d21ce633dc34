import { javaChecksTool } from '../helpers/java.js';
import { onEmbeddedBroker } from '../helpers/targets.js';
import { describeWithTools } from '../helpers/tools.js';
import { streamsEosSuite } from '../suites/streams-eos.js';

// Kafka Streams exactly_once_v2 with a kill -9 of the Streams process, on the embedded broker;
// test/kafka/streams-eos.test.ts runs the same suite on the rig's Kafka cluster.
describeWithTools(
  'Kafka Streams exactly_once_v2 word count across a kill -9 of the Streams process',
  [javaChecksTool()],
  () => onEmbeddedBroker('streams eos', streamsEosSuite),
);
