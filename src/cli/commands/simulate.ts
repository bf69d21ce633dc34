import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  comparePolicies,
  DEFAULT_FAILURE_SEED,
  FAILURE_PATTERNS,
  type FailurePattern,
  renderComparison,
  renderReport,
  SIMULATION_POLICIES,
  type SimulationOptions,
  type SimulationPolicy,
  type SimulationResult,
  simulate,
} from '../../flow/index.js';

const number = (what: string) => (raw: string) => {
  const value = Number(raw.replace(/_/g, ''));
  if (raw.trim() === '' || !Number.isFinite(value))
    throw new InvalidArgumentError(`${what} must be a number.`);
  return value;
};

const fraction = (raw: string) => {
  const percent = raw.trim().endsWith('%');
  const value = Number(percent ? raw.trim().slice(0, -1) : raw);
  if (!Number.isFinite(value)) throw new InvalidArgumentError('give a fraction (0.5) or a percentage (50%).');
  return percent ? value / 100 : value;
};

interface Flags {
  produce?: number;
  consume?: number;
  processingMs?: number;
  policy: SimulationPolicy | 'all';
  capacity?: number;
  duration?: number;
  failureRate?: number;
  maxRetries?: number;
  seed?: number;
  failures?: FailurePattern;
  retryBackoff?: number;
  count?: number;
  resumeDelay?: number;
  burstRate?: number;
  burstSeconds?: number;
  burstEvery?: number;
  eventSize?: number;
  memoryLimit?: number;
  sampleEvery?: number;
  high?: number;
  low?: number;
  interval?: number;
  json?: boolean;
}

/** Maps the command line onto the simulation's options (validation of values happens in the model). */
function toSimulationOptions(f: Flags & { produce: number; policy: SimulationPolicy }): SimulationOptions {
  const burstFlags = [f.burstRate, f.burstSeconds, f.burstEvery];
  const burstGiven = burstFlags.filter((v) => v !== undefined).length;
  if (burstGiven > 0 && burstGiven < 3) {
    throw new Error('a burst needs all three of --burst-rate, --burst-seconds and --burst-every');
  }
  return {
    produceRate: f.produce,
    consumeRate: f.consume,
    processingMs: f.processingMs,
    policy: f.policy,
    capacity: f.capacity,
    durationSec: f.duration,
    failureRate: f.failureRate,
    maxRetries: f.maxRetries,
    seed: f.seed,
    failurePattern: f.failures,
    retryBackoffMs: f.retryBackoff,
    count: f.count,
    resumeDelayMs: f.resumeDelay,
    burst:
      burstGiven === 3
        ? { rate: f.burstRate!, seconds: f.burstSeconds!, everySec: f.burstEvery! }
        : undefined,
    eventBytes: f.eventSize,
    memoryLimitBytes: f.memoryLimit === undefined ? undefined : f.memoryLimit * 1024 * 1024,
    sampleEvery: f.sampleEvery,
    highWatermark: f.high,
    lowWatermark: f.low,
    intervalSec: f.interval,
  };
}

const EXAMPLES = `
Examples:
  $ sluice simulate --produce 1000 --consume 100 --policy block --capacity 10000 --duration 60
  $ sluice simulate --produce 1000 --consume 100 --policy drop
  $ sluice simulate --produce 1000 --consume 100 --policy all          # the four strategies side by side
  $ sluice simulate --produce 100 --consume 100 --failure-rate 50% --policy buffer --duration 3600
  $ sluice simulate --produce 100 --consume 100 --failure-rate 50% --max-retries 1 --retry-backoff 10 --policy buffer --duration 3600
  $ sluice simulate --produce 2 --processing-ms 2000 --count 20 --policy buffer   # 20 events, 0.5 s apart
  $ sluice simulate --produce 150 --consume 100 --policy stop --capacity 1000 --low 0 --resume-delay 2000
  $ sluice simulate --produce 150 --consume 100 --policy stop --capacity 1000 --low 0.2   # thrashing
  $ sluice simulate --produce 100 --processing-ms 5 --burst-rate 1000 --burst-seconds 5 --burst-every 60 --duration 300`;

export function register(program: Command): void {
  const command = program
    .command('simulate')
    .description(
      'what happens when a producer meets a slower consumer? Simulates producer → bounded queue → consumer on a virtual clock (an hour takes milliseconds) and prints a time table, a verdict and a chart',
    );
  addWorkloadOptions(command);
  addFailureOptions(command);
  addBurstAndQueueOptions(command);
  command.addHelpText('after', EXAMPLES).action(runSimulation);
}

/** Producer and consumer rates, the policy, the queue bound and how long to run. */
function addWorkloadOptions(command: Command): void {
  command
    // Checked in the action, not with requiredOption: commander checks required options before unknown
    // ones, so a typo such as --prodcue would be reported as a missing --produce with no did-you-mean.
    .option('--produce <ev/s>', 'producer rate, events per second (required)', number('--produce'))
    .option('--consume <ev/s>', 'consumer rate, events per second', number('--consume'))
    .option(
      '--processing-ms <ms>',
      'or: time the consumer spends per event (rate = 1000 / ms)',
      number('--processing-ms'),
    )
    .addOption(
      new Option(
        '--policy <policy>',
        'what a full queue does: block the producer, buffer everything, drop new events, sample them, or stop the source at the high watermark and resume it at the low one; all: compare the course four',
      )
        .choices([...SIMULATION_POLICIES, 'all'])
        .default('block'),
    )
    .option('--capacity <events>', 'queue bound (default 10000; unbounded for buffer)', number('--capacity'))
    .option(
      '--duration <s>',
      'simulated seconds (default 60; with --count, until every event is handled)',
      number('--duration'),
    )
    .option('--count <n>', 'the producer sends this many events and stops', number('--count'));
}

/** Failing attempts, retries and the stopped source's restart time. */
function addFailureOptions(command: Command): void {
  command
    .option(
      '--failure-rate <fraction>',
      'share of attempts that fail and are retried, e.g. 0.5 or 50%',
      fraction,
    )
    .option(
      '--max-retries <n>',
      'retries per event before giving it up (default: retry until it succeeds)',
      number('--max-retries'),
    )
    .option(
      '--seed <n>',
      `seed of the random failures (default ${DEFAULT_FAILURE_SEED}: the same command prints the same numbers)`,
      number('--seed'),
    )
    .addOption(
      new Option(
        '--failures <pattern>',
        'random: each attempt fails with the failure rate as its chance (default); even: exactly that share fails, spread evenly',
      ).choices([...FAILURE_PATTERNS]),
    )
    .option(
      '--retry-backoff <ms>',
      'the consumer waits this long before each retry, on top of the retry itself (default 0)',
      number('--retry-backoff'),
    )
    .option(
      '--resume-delay <ms>',
      'stop: the source needs this long to start again once the low watermark relieves it (default 0)',
      number('--resume-delay'),
    );
}

/** Bursts, memory, sampling, watermarks and the report's shape. */
function addBurstAndQueueOptions(command: Command): void {
  command
    .option('--burst-rate <ev/s>', 'producer rate during bursts', number('--burst-rate'))
    .option('--burst-seconds <s>', 'length of each burst', number('--burst-seconds'))
    .option('--burst-every <s>', 'time from one burst to the next', number('--burst-every'))
    .option(
      '--event-size <bytes>',
      'memory per queued event, for the memory estimate (default 1024)',
      number('--event-size'),
    )
    .option(
      '--memory-limit <MiB>',
      'buffer: the process dies when queued events need more than this',
      number('--memory-limit'),
    )
    .option(
      '--sample-every <n>',
      'sample: keep 1 in n of the overflow (default produce/consume rounded up)',
      number('--sample-every'),
    )
    .option('--high <fraction>', 'high watermark, a fraction of the queue bound (default 0.8)', fraction)
    .option('--low <fraction>', 'low watermark, a fraction of the queue bound (default 0.5)', fraction)
    .option('--interval <s>', 'seconds between table rows (default: at most 12 rows)', number('--interval'))
    .option('--json', 'print the result as JSON');
}

function runSimulation(flags: Flags, command: Command): void {
  if (flags.produce === undefined)
    command.error("error: required option '--produce <ev/s>' not specified", {
      code: 'commander.missingMandatoryOptionValue',
    });
  if (flags.duration === undefined && flags.count === undefined) flags.duration = 60;
  if (flags.policy === 'all') {
    const results = comparePolicies(
      toSimulationOptions({ ...flags, produce: flags.produce, policy: 'block' }),
    );
    process.stdout.write(
      flags.json ? `${JSON.stringify(results.map(toJson), null, 2)}\n` : renderComparison(results),
    );
    return;
  }
  const result = simulate(toSimulationOptions({ ...flags, produce: flags.produce, policy: flags.policy }));
  process.stdout.write(flags.json ? `${JSON.stringify(toJson(result), null, 2)}\n` : renderReport(result));
}

function toJson(result: SimulationResult) {
  const { options, ...rest } = result;
  return {
    options: {
      ...options,
      capacity: jsonNumber(options.capacity),
      maxRetries: jsonNumber(options.maxRetries),
      count: jsonNumber(options.count),
      memoryLimitBytes: jsonNumber(options.memoryLimitBytes),
    },
    ...rest,
  };
}

/** JSON has no Infinity: unbounded values are written as null. */
function jsonNumber(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}
