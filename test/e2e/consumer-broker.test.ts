import { KAFKA_MIN_SESSION_TIMEOUT_MS } from '../helpers/kafka.js';
import { onEmbeddedBroker } from '../helpers/targets.js';
import { consumerRuntimeSuite } from '../suites/consumer-runtime.js';

// The suite lives in test/suites/consumer-runtime.ts; test/kafka/consumer-runtime.test.ts runs it on
// the Kafka cluster.
// The same smallest session timeout as the Kafka rig, so that the session-timeout case runs alike on both.
onEmbeddedBroker('consumer runtime', consumerRuntimeSuite, {
  groups: { minSessionTimeoutMs: KAFKA_MIN_SESSION_TIMEOUT_MS },
});
