import { onEmbeddedBroker } from '../helpers/targets.js';
import { monitorSuite } from '../suites/monitor.js';

// The suite itself is test/suites/monitor.ts; test/kafka/monitor.test.ts runs it on the Kafka cluster.
onEmbeddedBroker('lag monitor', monitorSuite);
