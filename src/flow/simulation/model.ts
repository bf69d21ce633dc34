import { Channel } from '../channel.js';
import { VirtualClock } from '../clock.js';
import { seededRandom } from '../random.js';
import { ThrashingDetector } from '../thrashing.js';
import { Watermarks } from '../watermarks.js';
import {
  COURSE_POLICIES,
  type ResolvedSimulation,
  resolveSimulation,
  type SimulationOptions,
} from './options.js';
import { verdictFor } from './verdict.js';

export interface SimulationRow {
  timeSec: number;
  /** Events the producer got out so far (into the queue, or dropped by it). */
  produced: number;
  /** Events processed successfully so far. */
  consumed: number;
  /** Events waiting in the queue now. */
  queued: number;
  /** Event being processed now (0 or 1). */
  inFlight: number;
  /** Produced but neither consumed nor discarded: queued + in flight (consumer lag). */
  lag: number;
  /** Events discarded so far (dropped, sampled out, given up after retries). */
  dropped: number;
  /** Events/s the producer got out during the row's interval. */
  producerRate: number;
  /** Events/s processed successfully during the row's interval. */
  consumerRate: number;
  /** Memory held by queued and in-flight events (bytes). */
  memoryBytes: number;
  /** Age of the oldest queued event (ms). */
  oldestAgeMs: number;
  /** Whether backpressure was declared (queue over its high watermark). */
  pressure: boolean;
  /** The process ran out of memory at this moment (buffer policy); what it held is lost. */
  crashed: boolean;
}

export interface SimulationTotals {
  /** Events the producer wanted to send at its own rate. */
  wanted: number;
  produced: number;
  consumed: number;
  /** Discarded by the drop or sample policy. */
  dropped: number;
  /** Overflow events the sample policy kept. */
  sampled: number;
  /** Events given up after `maxRetries` failed retries. */
  deadLettered: number;
  attempts: number;
  failures: number;
  lag: number;
  maxQueued: number;
  maxMemoryBytes: number;
  /** Time the producer spent blocked (ms). */
  blockedMs: number;
  /** When the queue first filled up (s). */
  fullAtSec: number | undefined;
  /** When the process ran out of memory (buffer policy), if it did (s). */
  crashedAtSec: number | undefined;
  /** Events lost with the crash (those in memory). */
  lostInCrash: number;
  /** When backpressure was first declared (s). */
  pressureDeclaredAtSec: number | undefined;
  pressureDeclarations: number;
  thrashing: boolean;
}

export interface SimulationResult {
  options: ResolvedSimulation;
  rows: SimulationRow[];
  /** Largest queue depth in each chart column (columns split the run evenly). */
  depthChart: number[];
  totals: SimulationTotals;
  /** Successful events/s the consumer can manage: rate × (1 − failure rate). */
  effectiveConsumeRate: number;
  /** How fast the backlog grows while nothing stops it (events/s; negative: it drains). Events leave it
   *  by succeeding or, with a retry limit, by being given up. */
  growthPerSec: number;
  /** How fast the backlog grows while a burst lasts (events/s), from the same leave rate; bursts only. */
  burstGrowthPerSec: number | undefined;
  /** Simulated seconds actually covered (less than the duration after a crash). */
  endedAtSec: number;
  verdict: string;
}

/** Producer rate at time `ms`: the burst rate inside a burst, the base rate otherwise. */
function rateAt(o: ResolvedSimulation, ms: number): number {
  if (!o.burst) return o.produceRate;
  return (ms / 1000) % o.burst.everySec < o.burst.seconds ? o.burst.rate : o.produceRate;
}

/** Events the producer wants to send in [0, sec]: the integral of its rate. */
function wantedBy(o: ResolvedSimulation, sec: number): number {
  if (!o.burst) return Math.floor(o.produceRate * sec + 1e-9);
  const { everySec, seconds, rate } = o.burst;
  const full = Math.floor(sec / everySec);
  const rest = sec - full * everySec;
  const inBurst = full * seconds + Math.min(rest, seconds);
  return Math.floor(rate * inBurst + o.produceRate * (sec - inBurst) + 1e-9);
}

/**
 * Runs the producer → bounded queue → consumer model on a virtual clock, event by event, with the
 * real Channel as the queue (its policies do the blocking, dropping and sampling) and Watermarks and a
 * ThrashingDetector watching its depth. Synchronous and allocation-light: an hour at a few hundred
 * events per second takes milliseconds.
 */
export function simulate(input: SimulationOptions): SimulationResult {
  const o = resolveSimulation(input);
  const clock = new VirtualClock(0);
  const endMs = o.durationSec * 1000;
  const serviceMs = 1000 / o.consumeRate;
  // Backpressure watermarks on the queue's bound (count, or memory for a memory-limited buffer),
  // driven by the channel itself on every change.
  const bound = Number.isFinite(o.capacity) ? o.capacity : Math.floor(o.memoryLimitBytes / o.eventBytes);
  const watermarks = Number.isFinite(bound)
    ? new Watermarks({
        high: Math.max(1, Math.floor(bound * o.highWatermark)),
        low: Math.floor(bound * o.lowWatermark),
        clock,
      })
    : undefined;
  const channelPolicy = {
    block: 'block',
    buffer: 'fail',
    drop: 'drop-newest',
    sample: 'sample',
    stop: 'block',
  } as const;
  const queue = new Channel<number>({
    name: 'simulated-queue',
    capacity: o.capacity,
    policy: channelPolicy[o.policy],
    sampleEvery: o.sampleEvery,
    clock,
    watermarks,
  });
  const thrashing = new ThrashingDetector({ windowMs: Math.min(endMs, 60_000), maxFlips: 4, clock });
  let pressureDeclaredAt: number | undefined;
  if (watermarks) {
    thrashing.watch(watermarks);
    watermarks.onChange((e) => {
      if (e.transition === 'declared' && pressureDeclaredAt === undefined) pressureDeclaredAt = e.at;
      // Stop-and-resume: the relieved source starts again at once.
      if (e.transition === 'relieved' && paused) {
        paused = false;
        blockedMs += e.at - heldSince;
        base = e.at;
        step = 0;
        scheduleNextProduction(e.at);
      }
    });
  }
  let thrashingSeen = false;
  thrashing.onChange((r) => {
    if (r.thrashing) thrashingSeen = true;
  });

  const random = o.seed !== undefined ? seededRandom(o.seed) : undefined;
  let failureDebt = 0;
  const attemptFails = (): boolean => {
    if (o.failureRate === 0) return false;
    if (random) return random() < o.failureRate;
    // Error diffusion: exactly the given fraction of attempts fail, spread evenly.
    failureDebt += o.failureRate;
    if (failureDebt >= 1 - 1e-9) {
      failureDebt -= 1;
      return true;
    }
    return false;
  };

  // Producer state.
  let base = 0;
  let step = 1;
  let period = 1000 / rateAt(o, 0);
  let nextProduce = period;
  let held: number | undefined; // event the producer is blocked on
  let paused = false; // stop policy: the source is stopped until the low watermark
  let heldSince = 0;
  let blockedMs = 0;
  let produced = 0;

  // Consumer state.
  let busy = false;
  let doneAt = Infinity;
  let retries = 0;
  let consumed = 0;
  let attempts = 0;
  let failures = 0;
  let deadLettered = 0;
  const inFlight = () => (busy ? 1 : 0);

  let fullAt: number | undefined;
  let crashedAt: number | undefined;
  let lostInCrash = 0;
  let maxQueued = 0;
  let maxMemory = 0;

  const depthChart = new Array<number>(o.chartWidth).fill(0);
  const rows: SimulationRow[] = [];
  const intervalMs = o.intervalSec * 1000;
  let rowIndex = 1;
  let lastRow = { t: 0, produced: 0, consumed: 0 };

  const discarded = () => {
    const s = queue.stats;
    return s.dropped + deadLettered;
  };
  const memoryNow = () => (queue.depth + inFlight()) * o.eventBytes;
  const note = (now: number) => {
    const depth = queue.depth;
    if (depth > maxQueued) maxQueued = depth;
    const mem = memoryNow();
    if (mem > maxMemory) maxMemory = mem;
    const col = Math.min(o.chartWidth - 1, Math.floor((now / endMs) * o.chartWidth));
    if (depth > depthChart[col]) depthChart[col] = depth;
  };

  const scheduleNextProduction = (now: number) => {
    if (o.burst) {
      base = now;
      step = 1;
      period = 1000 / rateAt(o, now);
    } else {
      step++;
    }
    nextProduce = base + step * period;
  };

  const startNext = (now: number) => {
    const item = queue.tryReceive();
    if (item === undefined) return;
    busy = true;
    retries = 0;
    doneAt = now + serviceMs;
    if (held !== undefined && queue.trySend(held)) {
      // Room again: the blocked producer's event goes in and it carries on from now.
      held = undefined;
      blockedMs += now - heldSince;
      produced++;
      base = now;
      step = 0;
      scheduleNextProduction(now);
    }
  };

  const crash = (now: number) => {
    crashedAt = now;
    lostInCrash = queue.depth + inFlight();
  };

  const produce = (now: number) => {
    const item = now;
    if (o.policy === 'stop' && watermarks!.inPressure) {
      paused = true;
      heldSince = now;
      if (fullAt === undefined) fullAt = now;
      return; // stopped at the high watermark: nothing more until the queue falls to the low one
    }
    if (o.policy === 'block' || o.policy === 'stop') {
      if (!queue.trySend(item)) {
        held = item;
        heldSince = now;
        if (fullAt === undefined) fullAt = now;
        return; // blocked: no more events until the consumer makes room
      }
    } else if (o.policy === 'buffer') {
      if (!queue.trySend(item)) {
        if (fullAt === undefined) fullAt = now;
        crash(now);
        return;
      }
    } else {
      if (queue.depth >= o.capacity && fullAt === undefined) fullAt = now;
      queue.trySend(item);
    }
    produced++;
    if (o.policy === 'buffer' && memoryNow() > o.memoryLimitBytes) {
      if (fullAt === undefined) fullAt = now;
      crash(now);
      return;
    }
    if (!busy) startNext(now);
    scheduleNextProduction(now);
  };

  const complete = (now: number) => {
    attempts++;
    if (attemptFails()) {
      failures++;
      if (retries < o.maxRetries) {
        retries++;
        doneAt = now + serviceMs;
        return;
      }
      deadLettered++;
    } else {
      consumed++;
    }
    busy = false;
    doneAt = Infinity;
    startNext(now);
  };

  const snapshot = (now: number) => {
    const dt = (now - lastRow.t) / 1000 || 1;
    const oldest = queue.peek();
    const lag = queue.depth + inFlight();
    rows.push({
      timeSec: now / 1000,
      produced,
      consumed,
      queued: queue.depth,
      inFlight: inFlight(),
      lag,
      dropped: discarded(),
      producerRate: (produced - lastRow.produced) / dt,
      consumerRate: (consumed - lastRow.consumed) / dt,
      memoryBytes: memoryNow(),
      oldestAgeMs: oldest === undefined ? 0 : now - oldest,
      pressure: watermarks?.inPressure ?? false,
      crashed: crashedAt !== undefined,
    });
    lastRow = { t: now, produced, consumed };
  };

  for (;;) {
    const tProduce = held === undefined && !paused ? nextProduce : Infinity;
    const tRow = Math.min(rowIndex * intervalMs, endMs);
    const t = Math.min(tProduce, doneAt, tRow);
    if (t > endMs) break;
    if (t > clock.now()) clock.advanceSync(t - clock.now());
    if (doneAt === t) complete(t);
    else if (tProduce === t) produce(t);
    else {
      snapshot(t);
      if (t >= endMs) break;
      rowIndex++;
      continue;
    }
    note(t);
    if (crashedAt !== undefined) {
      snapshot(t);
      break;
    }
  }
  const endedAt = crashedAt ?? endMs;
  if (held !== undefined || paused) blockedMs += endedAt - heldSince;

  const stats = queue.stats;
  const effectiveConsumeRate = o.consumeRate * (1 - o.failureRate);
  // Events leave the backlog by succeeding or, with a retry limit, by being given up. How often an event
  // runs out of retries depends on how failures cluster (evenly spread failures never fail twice in a
  // row at 50%), so with a limit the rate is taken from what the run actually did.
  const leaveRate =
    Number.isFinite(o.maxRetries) && o.failureRate > 0 && attempts > 0
      ? (o.consumeRate * (consumed + deadLettered)) / attempts
      : effectiveConsumeRate;
  const avgProduceRate = wantedBy(o, o.durationSec) / o.durationSec;
  const totals: SimulationTotals = {
    wanted: wantedBy(o, endedAt / 1000),
    produced,
    consumed,
    dropped: stats.dropped,
    sampled: stats.sampled,
    deadLettered,
    attempts,
    failures,
    lag: crashedAt === undefined ? queue.depth + inFlight() : 0,
    maxQueued,
    maxMemoryBytes: maxMemory,
    blockedMs,
    fullAtSec: fullAt === undefined ? undefined : fullAt / 1000,
    crashedAtSec: crashedAt === undefined ? undefined : crashedAt / 1000,
    lostInCrash,
    pressureDeclaredAtSec: pressureDeclaredAt === undefined ? undefined : pressureDeclaredAt / 1000,
    pressureDeclarations: watermarks?.declaredCount ?? 0,
    thrashing: thrashingSeen,
  };
  const partial = {
    options: o,
    rows,
    depthChart,
    totals,
    effectiveConsumeRate,
    growthPerSec: avgProduceRate - leaveRate,
    burstGrowthPerSec: o.burst ? o.burst.rate - leaveRate : undefined,
    endedAtSec: endedAt / 1000,
  };
  return { ...partial, verdict: verdictFor(partial) };
}

/** Runs the same scenario under each of the four policies, for a side-by-side answer. */
export function comparePolicies(input: Omit<SimulationOptions, 'policy'>): SimulationResult[] {
  return COURSE_POLICIES.map((policy) => simulate({ ...input, policy }));
}
