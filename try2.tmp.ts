import { compareStrategies } from './src/engine/examples/fraud-detection.js';
import { formatOutcomes } from './src/engine/examples/report.js';
const t0 = performance.now();
const o = await compareStrategies({ durationMs: Number(process.argv[2] ?? 30000) });
console.log(formatOutcomes(o, 'score-aggregator#1'));
console.log(performance.now() - t0, 'ms');
