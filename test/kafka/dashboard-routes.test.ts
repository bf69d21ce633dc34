import { onKafkaCluster } from '../helpers/targets.js';
import { dashboardRoutesSuite } from '../suites/dashboard-routes.js';

// The suite itself is test/suites/dashboard-routes.ts; test/browser/dashboard-routes.test.ts runs it on
// the embedded broker.
onKafkaCluster('monitor routes for the dashboard', dashboardRoutesSuite);
