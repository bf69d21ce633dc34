import { onKafkaCluster } from '../helpers/targets.js';
import { labExercisesSuite, ON_KAFKA } from '../suites/lab-exercises.js';

// The suite itself is test/suites/lab-exercises.ts (ON_KAFKA there says which exercises run here and why);
// test/e2e/lab-exercises.test.ts runs all of them on the embedded broker.
onKafkaCluster('sluice lab --brokers: the seed lab exercises', (target) =>
  labExercisesSuite(target, ON_KAFKA),
);
