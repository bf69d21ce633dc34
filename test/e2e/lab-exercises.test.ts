import { onEmbeddedBroker } from '../helpers/targets.js';
import { labExercisesSuite } from '../suites/lab-exercises.js';

// The suite itself is test/suites/lab-exercises.ts; test/kafka/lab-exercises.test.ts runs a subset of it
// on the Kafka cluster.
onEmbeddedBroker(
  'sluice lab: the seed lab exercises, as written, against the built package',
  labExercisesSuite,
);
