import { onEmbeddedBroker } from '../helpers/targets.js';
import { dashboardRoutesSuite } from '../suites/dashboard-routes.js';

// The suite itself is test/suites/dashboard-routes.ts; test/kafka/dashboard-routes.test.ts runs it on the
// Kafka cluster.
onEmbeddedBroker('monitor routes for the dashboard', dashboardRoutesSuite);
