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

function positive(what: string, value: unknown, hint: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new SimulationOptionsError(`${what} must be a number above 0, got ${String(value)} (${hint})`);
  }
  return value;
}

function nonNegative(what: string, value: unknown, hint: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new SimulationOptionsError(`${what} must be a number of 0 or more, got ${String(value)} (${hint})`);
  }
  return value;
}

function wholeAtLeast(what: string, value: unknown, min: number, hint: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new SimulationOptionsError(
      `${what} must be a whole number >= ${min}, got ${String(value)} (${hint})`,
    );
  }
  return value;
}

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
  const produceRate = positive('produce rate', o.produceRate, 'events per second, e.g. --produce 1000');
  if (o.consumeRate !== undefined && o.processingMs !== undefined) {
    throw new SimulationOptionsError(
      'give the consumer as a rate (--consume) or a time per event (--processing-ms), not both',
    );
  }
  let consumeRate: number;
  if (o.processingMs !== undefined) {
    consumeRate =
      1000 / positive('processing time', o.processingMs, 'milliseconds per event, e.g. --processing-ms 10');
  } else if (o.consumeRate !== undefined) {
    consumeRate = positive('consume rate', o.consumeRate, 'events per second, e.g. --consume 100');
  } else {
    throw new SimulationOptionsError(
      'say how fast the consumer is: --consume <events/s> or --processing-ms <ms>',
    );
  }
  if (!SIMULATION_POLICIES.includes(o.policy)) {
    throw new SimulationOptionsError(
      `unknown policy ${JSON.stringify(o.policy)}: use one of ${SIMULATION_POLICIES.join(', ')}`,
    );
  }
  const count =
    o.count === undefined ? Infinity : wholeAtLeast('count', o.count, 1, 'events to send, e.g. --count 20');
  const failureRate = o.failureRate ?? 0;
  if (typeof failureRate !== 'number' || !(failureRate >= 0 && failureRate < 1)) {
    throw new SimulationOptionsError(
      `failure rate must be a fraction from 0 up to (not including) 1, got ${String(o.failureRate)} (e.g. --failure-rate 0.5 for 50%)`,
    );
  }
  const retryBackoffMs = nonNegative(
    'retry backoff',
    o.retryBackoffMs,
    'milliseconds before each retry, e.g. --retry-backoff 10',
  );
  const resumeDelayMs = nonNegative(
    'resume delay',
    o.resumeDelayMs,
    'milliseconds the stopped source needs to start again, e.g. --resume-delay 2000',
  );
  if (o.durationSec === undefined && count === Infinity) {
    throw new SimulationOptionsError(
      'say how long to simulate (--duration <s>) or how many events to send (--count <n>)',
    );
  }
  const durationSec =
    o.durationSec === undefined
      ? untilAllHandled(count, produceRate, consumeRate, failureRate, retryBackoffMs)
      : positive('duration', o.durationSec, 'seconds of simulated time, e.g. --duration 60');
  let capacity = o.capacity ?? (o.policy === 'buffer' ? Infinity : 10_000);
  if (capacity !== Infinity && (!Number.isInteger(capacity) || capacity < 1)) {
    throw new SimulationOptionsError(`capacity must be a whole number of events >= 1, got ${capacity}`);
  }
  if (o.capacity === undefined && o.policy === 'buffer') capacity = Infinity;
  const maxRetries = o.maxRetries ?? Infinity;
  if (maxRetries !== Infinity && (!Number.isInteger(maxRetries) || maxRetries < 0)) {
    throw new SimulationOptionsError(`max retries must be a whole number >= 0, got ${maxRetries}`);
  }
  const failurePattern = o.failurePattern ?? 'random';
  if (!FAILURE_PATTERNS.includes(failurePattern)) {
    throw new SimulationOptionsError(
      `unknown failure pattern ${JSON.stringify(failurePattern)}: use random (seeded) or even`,
    );
  }
  const seed = o.seed ?? DEFAULT_FAILURE_SEED;
  if (!Number.isInteger(seed)) throw new SimulationOptionsError(`seed must be a whole number, got ${seed}`);
  let burst: BurstOptions | undefined;
  if (o.burst) {
    burst = {
      rate: positive('burst rate', o.burst.rate, 'events per second during a burst'),
      seconds: positive('burst length', o.burst.seconds, 'seconds each burst lasts'),
      everySec: positive('burst period', o.burst.everySec, 'seconds from one burst to the next'),
    };
    if (burst.seconds > burst.everySec) {
      throw new SimulationOptionsError(
        `a burst (${burst.seconds} s) cannot last longer than the period between bursts (${burst.everySec} s)`,
      );
    }
  }
  const eventBytes =
    o.eventBytes === undefined ? 1024 : positive('event size', o.eventBytes, 'bytes per queued event');
  const memoryLimitBytes =
    o.memoryLimitBytes === undefined ? Infinity : positive('memory limit', o.memoryLimitBytes, 'bytes');
  const peakRate = Math.max(produceRate, burst?.rate ?? 0);
  const sampleEvery = o.sampleEvery ?? Math.max(2, Math.ceil(peakRate / consumeRate));
  if (!Number.isInteger(sampleEvery) || sampleEvery < 1) {
    throw new SimulationOptionsError(`sample-every must be a whole number >= 1, got ${sampleEvery}`);
  }
  const intervalSec =
    o.intervalSec === undefined
      ? niceInterval(durationSec)
      : positive('interval', o.intervalSec, 'seconds between table rows');
  if (durationSec / intervalSec > 10_000) {
    throw new SimulationOptionsError(
      `interval ${intervalSec} s gives more than 10,000 rows over ${durationSec} s; pick a larger one`,
    );
  }
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
  const chartWidth = o.chartWidth ?? 60;
  if (!Number.isInteger(chartWidth) || chartWidth < 10 || chartWidth > 400) {
    throw new SimulationOptionsError(`chart width must be a whole number from 10 to 400, got ${chartWidth}`);
  }
  // Events simulated: what the producer sends (at most the count) and what the consumer attempts.
  const events = Math.min(count, durationSec * peakRate) + durationSec * consumeRate;
  if (events > MAX_SIMULATED_EVENTS) {
    throw new SimulationOptionsError(
      `this run would simulate about ${Math.round(events).toLocaleString('en-US')} events (limit ${MAX_SIMULATED_EVENTS.toLocaleString('en-US')}); shorten --duration or lower the rates`,
    );
  }
  return {
    produceRate,
    consumeRate,
    policy: o.policy,
    capacity,
    durationSec,
    count,
    failureRate,
    maxRetries,
    seed,
    failurePattern,
    retryBackoffMs,
    resumeDelayMs,
    burst,
    eventBytes,
    memoryLimitBytes,
    sampleEvery,
    intervalSec,
    chartWidth,
    highWatermark,
    lowWatermark,
  };
}
