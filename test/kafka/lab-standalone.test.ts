import { onKafkaCluster } from '../helpers/targets.js';
import { labStandaloneSuite } from '../suites/lab-standalone.js';

// The suite itself is test/suites/lab-standalone.ts; test/e2e/lab-standalone.test.ts runs it on the
// embedded broker.
onKafkaCluster('lab services as separate processes with --brokers', labStandaloneSuite);
