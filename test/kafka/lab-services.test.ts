import { onKafkaCluster } from '../helpers/targets.js';
import { labServicesSuite } from '../suites/lab-services.js';

// The suite itself is test/suites/lab-services.ts; test/lab/services.test.ts runs it on the embedded broker.
onKafkaCluster('lab services', labServicesSuite);
