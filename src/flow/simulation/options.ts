import { checkNumber, type NumberRule } from '../validate.js';

/**
 * The four strategies of the course module, as the simulator names them, plus the stream engines'
 * stop-and-resume: the source is stopped at the high watermark and resumed at the low one.
 */
export type SimulationPolicy = 'block' | 'buffer' | 'drop' | 'sample' | 'stop';
export const SIMULATION_POLICIES: readonly SimulationPolicy[] = ['block', 'buffer', 'drop', 'sample', 'stop'];
/** The course module's four, compared by `--policy all`. */
export const COURSE_POLICIES: readonly SimulationPolicy[] = ['block', 'buffer', 'drop', 'sample'];

export interface BurstOptions {
  /** Producer rate during a burst (events/s). */
  rate: number;
  /** How long each burst lasts (s). */
  seconds: number;
  /** A burst starts every this many seconds (s), the first at 0. */
  everySec: number;
}

export interface SimulationOptions {
  /** Producer rate (events/s). */
  produceRate: number;
  /** Consumer capacity (attempts/s). Give this or `processingMs`. */
  consumeRate?: number;
  /** Time per attempt (ms): the consumer manages 1000 / processingMs per second. */
  processingMs?: number;
  /**
   * block: the producer waits when the queue is full; buffer: the queue takes everything (up to
   * `capacity` or `memoryLimitBytes`, then the process is out of memory); drop: new events are dropped
   * when full; sample: when full, 1 in `sampleEvery` new events is kept, displacing the oldest; stop:
   * the producer is stopped at the high watermark and resumed at the low one.
   */
  policy: SimulationPolicy;
  /** High and low watermarks as fractions of the queue bound. Defaults 0.8 and 0.5. */
  highWatermark?: number;
  lowWatermark?: number;
  /** Queue bound (events). Default 10,000 for block, drop and sample; unbounded for buffer. */
  capacity?: number;
  /** Simulated time (s). Optional with `count`: then long enough for every event to be handled. */
  durationSec?: number;
  /** The producer sends this many events and stops (the module's "20 events, 0.5 s apart"). */
  count?: number;
  /** Fraction of attempts that fail and are retried (0 ≤ f < 1). */
  failureRate?: number;
  /** Retries per event before it is given up (dead-lettered). Default: retry until it succeeds. */
  maxRetries?: number;
  /** Seed of the random failures (default DEFAULT_FAILURE_SEED), so a run is reproducible. */
  seed?: number;
  /** random (default): each attempt fails with probability f, from the seed; even: exactly f of attempts
   *  fail, spread evenly (fail, ok, fail, ok at 50%: no event ever fails twice in a row). */
  failurePattern?: FailurePattern;
  /** The consumer waits this long before each retry (ms), on top of the retry's own processing time. */
  retryBackoffMs?: number;
  /** stop: the source takes this long to start again after the low watermark relieves it (ms). */
  resumeDelayMs?: number;
  burst?: BurstOptions;
  /** Memory per queued event (bytes), for the memory estimate. Default 1024. */
  eventBytes?: number;
  /** buffer: the process dies when queued events need more than this (bytes). */
  memoryLimitBytes?: number;
  /** sample: keep 1 in N of the overflow. Default: produce rate / consume rate, rounded up. */
  sampleEvery?: number;
  /** Seconds between table rows. Default: a round step giving at most 12 rows. */
  intervalSec?: number;
  /** Columns of the depth chart. Default 60. */
  chartWidth?: number;
}

export type FailurePattern = 'random' | 'even';
export const FAILURE_PATTERNS: readonly FailurePattern[] = ['random', 'even'];
/** The seed random failures use unless told otherwise: a fixed one, so the same command prints the same numbers. */
export const DEFAULT_FAILURE_SEED = 1;

/** Options with every default filled in, as the model runs them. */
export interface ResolvedSimulation {
  produceRate: number;
  consumeRate: number;
  policy: SimulationPolicy;
  capacity: number;
  durationSec: number;
  /** Events the producer sends before it stops (Infinity: it never stops). */
  count: number;
  failureRate: number;
  maxRetries: number;
  seed: number;
  failurePattern: FailurePattern;
  retryBackoffMs: number;
  resumeDelayMs: number;
  burst: BurstOptions | undefined;
  eventBytes: number;
  memoryLimitBytes: number;
  sampleEvery: number;
  intervalSec: number;
  chartWidth: number;
  highWatermark: number;
  lowWatermark: number;
}

/** Longest run the simulator accepts, in simulated events (keeps a typo from spinning for minutes). */
export const MAX_SIMULATED_EVENTS = 50_000_000;

export class SimulationOptionsError extends Error {
  override readonly name = 'SimulationOptionsError';
}

/** Checks one number option; the error says what was wrong and, after the semicolon, what to give. */
function checkOption(what: string, value: unknown, rule: NumberRule, hint?: string): number {
  return checkNumber(what, value, rule, (m) => new SimulationOptionsError(hint ? `${m}; ${hint}` : m));
}

const POSITIVE: NumberRule = { positive: true };

/**
 * A run long enough for `count` events to be sent and handled: the sending time plus the consumer's
 * time for all of them one after another (an upper bound), with room for the retries a failure rate
 * brings (each event takes 1 / (1 − f) attempts on average; four times that covers an unlucky seed).
 */
function untilAllHandled(
  count: number,
  produceRate: number,
  consumeRate: number,
  failureRate: number,
  retryBackoffMs: number,
): number {
  const perEventSec = (1 / consumeRate + (retryBackoffMs / 1000) * failureRate) / (1 - failureRate);
  const margin = failureRate > 0 ? 4 : 1;
  return Math.ceil(count / produceRate + count * perEventSec * margin) + 1;
}

/** Picks a round step (1, 2, 5, 10, 15, 30, 60, ... s) giving at most `maxRows` rows. */
export function niceInterval(durationSec: number, maxRows = 12): number {
  const steps = [
    1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400,
  ];
  for (const s of steps) if (durationSec / s <= maxRows) return s;
  return Math.ceil(durationSec / maxRows / 86_400) * 86_400;
}

export function resolveSimulation(o: SimulationOptions): ResolvedSimulation {
  const produceRate = checkOption(
    'produce rate',
    o.produceRate,
    POSITIVE,
    'events per second, e.g. --produce 1000',
  );
  const consumeRate = resolveConsumeRate(o);
  if (!SIMULATION_POLICIES.includes(o.policy)) {
    throw new SimulationOptionsError(
      `unknown policy ${JSON.stringify(o.policy)}: use one of ${SIMULATION_POLICIES.join(', ')}`,
    );
  }
  const count =
    o.count === undefined
      ? Infinity
      : checkOption('count', o.count, { integer: true, min: 1 }, 'events to send, e.g. --count 20');
  const failures = resolveFailures(o);
  const durationSec = resolveDuration(o, count, produceRate, consumeRate, failures);
  const burst = o.burst ? resolveBurst(o.burst) : undefined;
  const peakRate = Math.max(produceRate, burst?.rate ?? 0);
  // sample keeps 1 in N of the overflow: by default N is how many times faster than the consumer the peak is.
  const defaultSampleEvery = Math.max(2, Math.ceil(peakRate / consumeRate));
  const sampleEvery = checkOption('sample-every', o.sampleEvery ?? defaultSampleEvery, {
    integer: true,
    min: 1,
  });
  const intervalSec = resolveInterval(o, durationSec);
  const chartWidth = checkOption('chart width', o.chartWidth ?? 60, { integer: true, min: 10, max: 400 });
  const queue = resolveQueue(o);
  checkRunSize(Math.min(count, durationSec * peakRate) + durationSec * consumeRate);
  return {
    produceRate,
    consumeRate,
    policy: o.policy,
    capacity: queue.capacity,
    durationSec,
    count,
    failureRate: failures.failureRate,
    maxRetries: failures.maxRetries,
    seed: failures.seed,
    failurePattern: failures.failurePattern,
    retryBackoffMs: failures.retryBackoffMs,
    resumeDelayMs: failures.resumeDelayMs,
    burst,
    eventBytes:
      o.eventBytes === undefined
        ? 1024
        : checkOption('event size', o.eventBytes, POSITIVE, 'bytes per queued event'),
    memoryLimitBytes:
      o.memoryLimitBytes === undefined
        ? Infinity
        : checkOption('memory limit', o.memoryLimitBytes, POSITIVE, 'bytes'),
    sampleEvery,
    intervalSec,
    chartWidth,
    highWatermark: queue.highWatermark,
    lowWatermark: queue.lowWatermark,
  };
}

/** The consumer's attempts per second, given as a rate or as a time per event (exactly one of them). */
function resolveConsumeRate(o: SimulationOptions): number {
  if (o.consumeRate !== undefined && o.processingMs !== undefined) {
    throw new SimulationOptionsError(
      'give the consumer as a rate (--consume) or a time per event (--processing-ms), not both',
    );
  }
  if (o.processingMs !== undefined) {
    return (
      1000 /
      checkOption(
        'processing time',
        o.processingMs,
        POSITIVE,
        'milliseconds per event, e.g. --processing-ms 10',
      )
    );
  }
  if (o.consumeRate !== undefined) {
    return checkOption('consume rate', o.consumeRate, POSITIVE, 'events per second, e.g. --consume 100');
  }
  throw new SimulationOptionsError(
    'say how fast the consumer is: --consume <events/s> or --processing-ms <ms>',
  );
}

type ResolvedFailures = Pick<
  ResolvedSimulation,
  'failureRate' | 'maxRetries' | 'seed' | 'failurePattern' | 'retryBackoffMs' | 'resumeDelayMs'
>;

/** How attempts fail and are retried, and how long a stopped source takes to resume. */
function resolveFailures(o: SimulationOptions): ResolvedFailures {
  const failureRate = o.failureRate ?? 0;
  // A fraction below 1, which a NumberRule (inclusive bounds) cannot say: at 1 no attempt ever succeeds.
  if (typeof failureRate !== 'number' || !(failureRate >= 0 && failureRate < 1)) {
    throw new SimulationOptionsError(
      `failure rate must be a fraction from 0 up to (not including) 1, got ${String(o.failureRate)} (e.g. --failure-rate 0.5 for 50%)`,
    );
  }
  const failurePattern = o.failurePattern ?? 'random';
  if (!FAILURE_PATTERNS.includes(failurePattern)) {
    throw new SimulationOptionsError(
      `unknown failure pattern ${JSON.stringify(failurePattern)}: use random (seeded) or even`,
    );
  }
  return {
    failureRate,
    maxRetries: checkOption('max retries', o.maxRetries ?? Infinity, {
      integer: true,
      min: 0,
      allowInfinity: true,
    }),
    seed: checkOption('seed', o.seed ?? DEFAULT_FAILURE_SEED, { integer: true }),
    failurePattern,
    retryBackoffMs: checkOption(
      'retry backoff',
      o.retryBackoffMs ?? 0,
      { min: 0 },
      'milliseconds before each retry, e.g. --retry-backoff 10',
    ),
    resumeDelayMs: checkOption(
      'resume delay',
      o.resumeDelayMs ?? 0,
      { min: 0 },
      'milliseconds the stopped source needs to start again, e.g. --resume-delay 2000',
    ),
  };
}

/** The simulated time: as given, or (with only a count) long enough for every event to be handled. */
function resolveDuration(
  o: SimulationOptions,
  count: number,
  produceRate: number,
  consumeRate: number,
  failures: ResolvedFailures,
): number {
  if (o.durationSec !== undefined) {
    return checkOption('duration', o.durationSec, POSITIVE, 'seconds of simulated time, e.g. --duration 60');
  }
  if (count === Infinity) {
    throw new SimulationOptionsError(
      'say how long to simulate (--duration <s>) or how many events to send (--count <n>)',
    );
  }
  return untilAllHandled(count, produceRate, consumeRate, failures.failureRate, failures.retryBackoffMs);
}

function resolveBurst(burst: BurstOptions): BurstOptions {
  const resolved = {
    rate: checkOption('burst rate', burst.rate, POSITIVE, 'events per second during a burst'),
    seconds: checkOption('burst length', burst.seconds, POSITIVE, 'seconds each burst lasts'),
    everySec: checkOption('burst period', burst.everySec, POSITIVE, 'seconds from one burst to the next'),
  };
  if (resolved.seconds > resolved.everySec) {
    throw new SimulationOptionsError(
      `a burst (${resolved.seconds} s) cannot last longer than the period between bursts (${resolved.everySec} s)`,
    );
  }
  return resolved;
}

/** The queue bound (unbounded by default only for buffer) and the watermarks, fractions of it. */
function resolveQueue(
  o: SimulationOptions,
): Pick<ResolvedSimulation, 'capacity' | 'highWatermark' | 'lowWatermark'> {
  const capacity = checkOption('capacity', o.capacity ?? (o.policy === 'buffer' ? Infinity : 10_000), {
    integer: true,
    min: 1,
    allowInfinity: true,
  });
  const highWatermark = o.highWatermark ?? 0.8;
  const lowWatermark = o.lowWatermark ?? 0.5;
  if (!(highWatermark > 0 && highWatermark <= 1) || !(lowWatermark >= 0 && lowWatermark <= highWatermark)) {
    throw new SimulationOptionsError(
      `watermarks are fractions of the queue bound with 0 <= low <= high <= 1, got high ${highWatermark} and low ${lowWatermark} (e.g. --high 0.8 --low 0.5)`,
    );
  }
  if (o.policy === 'stop' && !Number.isFinite(capacity)) {
    throw new SimulationOptionsError(
      'policy stop needs a bounded queue: its watermarks are fractions of --capacity',
    );
  }
  return { capacity, highWatermark, lowWatermark };
}

/** Seconds between table rows: as given (at most 10,000 rows) or a round step. */
function resolveInterval(o: SimulationOptions, durationSec: number): number {
  if (o.intervalSec === undefined) return niceInterval(durationSec);
  const intervalSec = checkOption('interval', o.intervalSec, POSITIVE, 'seconds between table rows');
  if (durationSec / intervalSec > 10_000) {
    throw new SimulationOptionsError(
      `interval ${intervalSec} s gives more than 10,000 rows over ${durationSec} s; pick a larger one`,
    );
  }
  return intervalSec;
}

/** Refuses a run that would take minutes: `events` counts what the producer sends and the consumer attempts. */
function checkRunSize(events: number): void {
  if (events > MAX_SIMULATED_EVENTS) {
    throw new SimulationOptionsError(
      `this run would simulate about ${Math.round(events).toLocaleString('en-US')} events (limit ${MAX_SIMULATED_EVENTS.toLocaleString('en-US')}); shorten --duration or lower the rates`,
    );
  }
}
