import { onKafkaCluster } from '../helpers/targets.js';
import { consumerRuntimeSuite } from '../suites/consumer-runtime.js';

// The consumer runtime on the rig's three-broker cluster: the suite test/e2e/consumer-broker.test.ts
// runs on the embedded broker.
onKafkaCluster('consumer runtime', consumerRuntimeSuite);
