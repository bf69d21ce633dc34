export * from './model.js';
export * from './options.js';
export { describeScenario, renderChart, renderReport, renderTable } from './report.js';
