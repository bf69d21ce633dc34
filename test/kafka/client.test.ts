import { onKafkaCluster } from '../helpers/targets.js';
import { adminSuite, creditFetchSuite, groupSuite, producerFetchSuite } from '../suites/client.js';

// Our client against the rig's three-broker cluster: the same suites test/client runs on the embedded
// broker (see test/suites/client.ts for where Kafka differs and why).
onKafkaCluster('client: producer and fetch', producerFetchSuite);
onKafkaCluster('client: admin', adminSuite);
onKafkaCluster('client: group membership', groupSuite);
onKafkaCluster('client: credit-driven fetch', creditFetchSuite);
