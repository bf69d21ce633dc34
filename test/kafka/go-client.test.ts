import { onKafkaCluster } from '../helpers/targets.js';
import { goClientSuite } from '../suites/go-client.js';

// franz-go against the rig's three-broker cluster: the same suite test/compat/go.test.ts runs on the embedded broker.
onKafkaCluster('franz-go client', goClientSuite);
