import type { Command, OptionValues } from 'commander';
import {
  AGGREGATOR,
  compareStrategies,
  firstSlowInstance,
  slowSet,
} from '../../engine/examples/fraud-detection.js';
import {
  formatCapacity,
  formatError,
  formatQueueCharts,
  outcomeRow,
  outcomeTableHead,
} from '../../engine/examples/report.js';
import { loadJobModule, resolveJob } from '../../engine/kafka/job-module.js';
import { EngineProcess, formatStatus } from '../../engine/kafka/process.js';
import { STRATEGIES, type Strategy } from '../../engine/types.js';
import { RealClock } from '../../flow/clock.js';
import {
  brokerList,
  clientSecurity,
  clientSecurityOptions,
  gracePeriodOption,
  integer,
  positiveNumber,
} from '../options.js';
import { untilSignal } from './shutdown.js';

function param(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new Error(`--param ${value}: give key=value`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

function strategy(value: string): Strategy {
  return strategies(value)[0];
}

function strategies(value: string): Strategy[] {
  const list = value.split(',').map((s) => s.trim()) as Strategy[];
  for (const s of list) {
    if (!STRATEGIES.includes(s))
      throw new Error(`unknown strategy '${s}'; use any of ${STRATEGIES.join(', ')}`);
  }
  return list;
}

function slowLabel(count: number, first: string): string {
  if (count === 0) return 'none slow';
  return count === 1
    ? `${first.slice(first.indexOf('#'))} slow`
    : `${count} slow from ${first.slice(first.indexOf('#'))}`;
}

export function register(program: Command): void {
  const engine = program
    .command('engine')
    .description('the stream engine: operator graphs over bounded queues');
  registerExample(engine);
  registerRun(engine);
}

function registerExample(engine: Command): void {
  engine
    .command('example')
    .argument('<name>', "the example to run: 'fraud' (the book's fraud-detection job)")
    .description('run an example job once per backpressure strategy and compare the outcomes')
    .option(
      '--duration <seconds>',
      'run time per strategy (virtual unless --live)',
      positiveNumber('--duration'),
      60,
    )
    .option('--strategies <list>', `comma-separated, from: ${STRATEGIES.join(', ')}`, strategies, [
      ...STRATEGIES,
    ])
    .option(
      '--rate <tps>',
      'transactions per second per source instance (2 instances)',
      positiveNumber('--rate'),
      150,
    )
    .option(
      '--slow-cost <ms>',
      `processing time of the slow ${AGGREGATOR} instance per score`,
      positiveNumber('--slow-cost'),
      5,
    )
    .option(
      '--parallelism <n>',
      `instances of the ${AGGREGATOR} (the component with the slow ones)`,
      integer('--parallelism', 1, 10_000),
      3,
    )
    .option(
      '--slow-instances <k>',
      `how many ${AGGREGATOR} instances are slow (from #1 on)`,
      integer('--slow-instances', 0, 10_000),
      1,
    )
    .option('--live', 'run on the real clock instead of a virtual one (takes --duration per strategy)')
    .option('--json', 'print the outcomes as JSON')
    .action(runExample);
}

function registerRun(engine: Command): void {
  const runCommand = engine
    .command('run')
    .argument('<module>', 'a job module (.js, or .ts through tsx) whose default export builds the job')
    .description(
      'run a job on Kafka in this process; run it in more processes with the same --group to scale out',
    )
    .requiredOption('--brokers <list>', 'Kafka bootstrap servers (host:port[,host:port])', brokerList)
    .requiredOption('--group <id>', "the job's consumer group (every process of the job uses the same)")
    .option(
      '--strategy <name>',
      `backpressure strategy: ${STRATEGIES.join(', ')} (default: the job's, else propagate)`,
      strategy,
    )
    .option('--param <key=value>', 'a setting for the job module (repeatable)', param, {})
    .option(
      '--metrics-port <port>',
      'serve /metrics and /status on this port (0: any free port)',
      integer('--metrics-port', 0, 65535),
      0,
    )
    .option(
      '--report-interval <s>',
      'print the per-instance view every s seconds (0: never)',
      integer('--report-interval', 0, 3600),
      5,
    )
    .addOption(gracePeriodOption())
    .action(runJob);
  for (const o of clientSecurityOptions()) runCommand.addOption(o);
}

/** `sluice engine example fraud`: the job once per strategy, a row per outcome as each finishes. */
async function runExample(name: string, opts: OptionValues): Promise<void> {
  if (name !== 'fraud') throw new Error(`unknown example '${name}'; available: fraud`);
  const options = {
    strategies: opts.strategies as Strategy[],
    durationMs: opts.duration * 1000,
    ratePerSource: opts.rate,
    slowCostMs: opts.slowCost,
    aggregatorParallelism: opts.parallelism,
    slowInstances: opts.slowInstances,
    clock: opts.live ? () => new RealClock() : undefined,
  };
  // Checked before anything runs: K slow instances out of N.
  slowSet(options);
  const slow = `${AGGREGATOR}#${firstSlowInstance(options)}`;
  if (opts.json) {
    const outcomes = await compareStrategies({ ...options, onProgress: progressBar() });
    process.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
    return;
  }
  // The header at once and each strategy's row as it finishes: a run takes seconds virtual, minutes live.
  const offered = 2 * opts.rate;
  process.stdout.write(
    `fraud detection: ${offered} transactions/s -> avg-ticket, proximity, txn-count (2 each) -> ` +
      `${AGGREGATOR} (${opts.parallelism}, ${slowLabel(opts.slowInstances, slow)}: ${opts.slowCost} ms/score) -> decisions; ` +
      `${opts.duration} s ${opts.live ? 'live' : 'virtual'} per strategy\n\n${outcomeTableHead()}\n`,
  );
  const bar = progressBar();
  const outcomes = await compareStrategies({
    ...options,
    onProgress: bar,
    onOutcome: (o) => {
      bar.clear();
      process.stdout.write(`${outcomeRow(o)}\n`);
    },
  });
  process.stdout.write(`${formatQueueCharts(outcomes, slow)}\n`);
  for (const o of outcomes) {
    process.stdout.write(`\n${formatCapacity(o.strategy, o.capacity)}\n${formatError(o)}\n`);
  }
}

/** `sluice engine run <module>`: the job on Kafka in this process until a signal stops it. */
async function runJob(module: string, opts: OptionValues): Promise<void> {
  const factory = await loadJobModule(module);
  const { graph, run } = await resolveJob(factory, {
    brokers: opts.brokers,
    security: clientSecurity(opts),
    groupId: opts.group,
    params: opts.param,
  });
  const proc = await EngineProcess.start({
    graph,
    run: { ...run, strategy: opts.strategy ?? run.strategy },
    metricsPort: opts.metricsPort,
  });
  process.stdout.write(
    `sluice engine: job "${graph.name}" (${proc.run.strategy}), group "${opts.group}" on ${opts.brokers.join(',')}; ` +
      `metrics at ${proc.address}/metrics, status at ${proc.address}/status\n`,
  );
  const report =
    opts.reportInterval > 0
      ? setInterval(
          () => process.stdout.write(`${formatStatus(proc.status())}\n`),
          opts.reportInterval * 1000,
        )
      : undefined;
  proc.run.done.catch((err: unknown) => {
    process.stderr.write(`sluice engine: ${(err as Error).message}\n`);
    process.exit(1);
  });
  untilSignal(
    'sluice engine',
    async () => {
      clearInterval(report);
      await proc.stop({ drain: true });
    },
    opts.gracePeriod,
  );
}

/**
 * A one-line bar on stderr, redrawn in place, while a strategy runs; only on a terminal, so piped or
 * captured output stays clean.
 */
function progressBar(): ((strategy: Strategy, done: number) => void) & { clear(): void } {
  const tty = process.stderr.isTTY === true;
  let drawn = false;
  const draw = (strategy: Strategy, done: number) => {
    if (!tty) return;
    const width = 30;
    const full = Math.round(done * width);
    process.stderr.write(
      `\r  ${strategy.padEnd(13)} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${Math.round(done * 100)}%`,
    );
    drawn = true;
  };
  return Object.assign(draw, {
    clear() {
      if (drawn) process.stderr.write('\r\u001b[2K');
      drawn = false;
    },
  });
}
