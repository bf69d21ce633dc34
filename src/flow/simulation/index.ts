export * from './model.js';
export * from './options.js';
export {
  describePressure,
  describeScenario,
  renderChart,
  renderComparison,
  renderReport,
  renderTable,
} from './report.js';
