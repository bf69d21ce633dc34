import { onKafkaCluster } from '../helpers/targets.js';
import { monitorSuite } from '../suites/monitor.js';

// The suite itself is test/suites/monitor.ts; test/monitor/broker.test.ts runs it on the embedded broker.
onKafkaCluster('lag monitor', monitorSuite);
