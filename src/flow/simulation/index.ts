export * from './model.js';
export * from './options.js';
export { describePressure, describeScenario, renderChart, renderReport, renderTable } from './report.js';
