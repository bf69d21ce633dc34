import { onKafkaCluster } from '../helpers/targets.js';
import { deadLettersSuite } from '../suites/dead-letters.js';

// The suite itself is test/suites/dead-letters.ts; test/consumer/dead-letters.test.ts runs it on the embedded broker.
onKafkaCluster('dead letters: list, replay, purge', deadLettersSuite);
