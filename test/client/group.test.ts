import { onEmbeddedBroker } from '../helpers/targets.js';
import { groupSuite } from '../suites/client.js';

// The suite lives in test/suites/client.ts; test/kafka/client.test.ts runs it on the Kafka cluster.
// A low minimum session timeout keeps these tests short; Kafka's floor is 6 s, with the same behaviour.
onEmbeddedBroker('client: group membership', groupSuite, { groups: { minSessionTimeoutMs: 300 } });
