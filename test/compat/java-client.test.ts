import { javaChecksTool } from '../helpers/java.js';
import { onEmbeddedBroker } from '../helpers/targets.js';
import { describeWithTools } from '../helpers/tools.js';
import { javaClientSuite } from '../suites/java-client.js';

// Apache Kafka's Java client and Kafka Streams against the embedded broker; test/kafka/java-client.test.ts
// runs the same suite against the rig's Kafka cluster.
describeWithTools('Java client and Kafka Streams', [javaChecksTool()], () =>
  onEmbeddedBroker('java client and streams', javaClientSuite),
);
