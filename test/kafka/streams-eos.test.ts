import { javaChecksTool } from '../helpers/java.js';
import { onKafkaCluster } from '../helpers/targets.js';
import { describeWithTools } from '../helpers/tools.js';
import { streamsEosSuite } from '../suites/streams-eos.js';

// The same suite as test/crash/streams-eos.test.ts, against the rig's three-broker Kafka cluster.
describeWithTools(
  'Kafka Streams exactly_once_v2 word count across a kill -9 of the Streams process',
  [javaChecksTool()],
  () => onKafkaCluster('streams eos', streamsEosSuite),
);
