import { javaChecksTool } from '../helpers/java.js';
import { onKafkaCluster } from '../helpers/targets.js';
import { describeWithTools } from '../helpers/tools.js';
import { javaClientSuite } from '../suites/java-client.js';

// The same suite as test/compat/java-client.test.ts, against the rig's three-broker Kafka cluster.
describeWithTools('Java client and Kafka Streams', [javaChecksTool()], () =>
  onKafkaCluster('java client and streams', javaClientSuite),
);
