import type { Command } from 'commander';
import { AGGREGATOR, compareStrategies } from '../../engine/examples/fraud-detection.js';
import { formatOutcomes } from '../../engine/examples/report.js';
import { STRATEGIES, type Strategy } from '../../engine/types.js';
import { RealClock } from '../../flow/clock.js';

function positive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name} ${value}: give a number > 0`);
    return n;
  };
}

function strategies(value: string): Strategy[] {
  const list = value.split(',').map((s) => s.trim()) as Strategy[];
  for (const s of list) {
    if (!STRATEGIES.includes(s))
      throw new Error(`unknown strategy '${s}'; use any of ${STRATEGIES.join(', ')}`);
  }
  return list;
}

export function register(program: Command): void {
  const engine = program
    .command('engine')
    .description('the stream engine: operator graphs over bounded queues');
  engine
    .command('example')
    .argument('<name>', "the example to run: 'fraud' (the book's fraud-detection job)")
    .description('run an example job once per backpressure strategy and compare the outcomes')
    .option('--duration <seconds>', 'run time per strategy (virtual unless --live)', positive('duration'), 60)
    .option('--strategies <list>', `comma-separated, from: ${STRATEGIES.join(', ')}`, strategies, [
      ...STRATEGIES,
    ])
    .option(
      '--rate <tps>',
      'transactions per second per source instance (2 instances)',
      positive('rate'),
      150,
    )
    .option(
      '--slow-cost <ms>',
      `processing time of the slow ${AGGREGATOR} instance per score`,
      positive('slow-cost'),
      5,
    )
    .option('--live', 'run on the real clock instead of a virtual one (takes --duration per strategy)')
    .option('--json', 'print the outcomes as JSON')
    .action(async (name: string, opts) => {
      if (name !== 'fraud') throw new Error(`unknown example '${name}'; available: fraud`);
      const outcomes = await compareStrategies({
        strategies: opts.strategies,
        durationMs: opts.duration * 1000,
        ratePerSource: opts.rate,
        slowCostMs: opts.slowCost,
        clock: opts.live ? () => new RealClock() : undefined,
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
        return;
      }
      const offered = 2 * opts.rate;
      process.stdout.write(
        `fraud detection: ${offered} transactions/s -> avg-ticket, proximity, txn-count (2 each) -> ` +
          `${AGGREGATOR} (3, #1 slow: ${opts.slowCost} ms/score) -> decisions; ` +
          `${opts.duration} s ${opts.live ? 'live' : 'virtual'} per strategy\n\n`,
      );
      process.stdout.write(`${formatOutcomes(outcomes, `${AGGREGATOR}#1`)}\n`);
    });
}
