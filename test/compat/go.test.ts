import { onEmbeddedBroker } from '../helpers/targets.js';
import { goClientSuite } from '../suites/go-client.js';

// franz-go against the embedded broker; test/kafka/go-client.test.ts runs the same suite against Apache Kafka.
onEmbeddedBroker('franz-go client', goClientSuite, { groups: { minSessionTimeoutMs: 1000 } });
