import { onKafkaCluster } from '../helpers/targets.js';
import { lagCliSuite } from '../suites/lag-cli.js';

// The suite itself is test/suites/lag-cli.ts; test/cli/lag.test.ts runs it on the embedded broker.
onKafkaCluster('sluice lag', lagCliSuite);
