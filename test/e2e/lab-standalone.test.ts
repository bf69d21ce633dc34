import { onEmbeddedBroker } from '../helpers/targets.js';
import { labStandaloneSuite } from '../suites/lab-standalone.js';

// The suite itself is test/suites/lab-standalone.ts; test/kafka/lab-standalone.test.ts runs it on the
// Kafka cluster.
onEmbeddedBroker('sluice broker + lab services as separate processes', labStandaloneSuite);
