import { Channel } from '../channel.js';
import { VirtualClock } from '../clock.js';
import { ThrashingDetector } from '../thrashing.js';
import { Watermarks } from '../watermarks.js';
import { departureRates, failureDraw } from './failures.js';
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
  /** Time the consumer spent on events, attempts and retry backoffs included (ms). */
  consumerBusyMs: number;
  /** Time the consumer had nothing to do once the first event had arrived (ms). */
  consumerIdleMs: number;
  /** With a count: when the last event was handled (s), if everything was by the end. */
  allHandledAtSec: number | undefined;
  /** Production-to-finish time of the last and the slowest successful event (s). */
  lastLatencySec: number;
  maxLatencySec: number;
}

export interface SimulationResult {
  options: ResolvedSimulation;
  rows: SimulationRow[];
  /** Largest queue depth in each chart column (columns split the run evenly). */
  depthChart: number[];
  totals: SimulationTotals;
  /** Successful events/s the consumer can manage: its rate less the attempts and backoffs retries take, less the events given up. */
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
  return Math.min(o.count, wantedAtRate(o, sec));
}

function wantedAtRate(o: ResolvedSimulation, sec: number): number {
  if (!o.burst) return Math.floor(o.produceRate * sec + 1e-9);
  const { everySec, seconds, rate } = o.burst;
  const full = Math.floor(sec / everySec);
  const rest = sec - full * everySec;
  const inBurst = full * seconds + Math.min(rest, seconds);
  return Math.floor(rate * inBurst + o.produceRate * (sec - inBurst) + 1e-9);
}

/** The producer's side of the run: its schedule and whether it is held, stopped or done. */
interface ProducerState {
  /** Start of the current schedule (ms) and events scheduled since: the next one is due at base + step × period. */
  base: number;
  step: number;
  period: number;
  nextAt: number;
  /** The event the producer is blocked on (block policy). */
  held: number | undefined;
  /** stop policy: stopped at the high watermark, until the low one (plus the resume delay). */
  stopped: boolean;
  /** stop policy with a resume delay: when the relieved source is running again (ms). */
  restartAt: number | undefined;
  heldSince: number;
  blockedMs: number;
  produced: number;
}

/** The consumer's side: the event in hand, its attempts, and what it has done. */
export interface ConsumerState {
  /** Production time of the event being processed, undefined when idle. */
  current: number | undefined;
  doneAt: number;
  retries: number;
  busySince: number;
  busyMs: number;
  consumed: number;
  attempts: number;
  failures: number;
  deadLettered: number;
  /** Production-to-finish time of the last and the slowest successful event (ms). */
  lastLatencyMs: number;
  maxLatencyMs: number;
  lastDoneAt: number | undefined;
}

const CHANNEL_POLICY = {
  block: 'block',
  buffer: 'fail',
  drop: 'drop-newest',
  sample: 'sample',
  stop: 'block',
} as const;

/**
 * The producer → bounded queue → consumer model on a virtual clock, event by event, with the real
 * Channel as the queue (its policies do the blocking, dropping and sampling) and Watermarks and a
 * ThrashingDetector watching its depth. Each method is one step of the model: produce, start the next
 * event, complete an attempt, restart a stopped source, record a row. Synchronous and allocation-light:
 * an hour at a few hundred events per second takes milliseconds.
 */
class SimulationRun {
  private readonly clock = new VirtualClock(0);
  private readonly endMs: number;
  private readonly serviceMs: number;
  private readonly watermarks: Watermarks | undefined;
  private readonly queue: Channel<number>;
  private readonly thrashing: ThrashingDetector;
  private readonly attemptFails: () => boolean;
  private readonly producer: ProducerState;
  private readonly consumer: ConsumerState;
  private pressureDeclaredAt: number | undefined;
  private firstProducedAt: number | undefined;
  private thrashingSeen = false;
  private fullAt: number | undefined;
  private crashedAt: number | undefined;
  private lostInCrash = 0;
  private maxQueued = 0;
  private maxMemory = 0;
  private readonly depthChart: number[];
  private chartCol = 0;
  private chartDepth = 0;
  private readonly rows: SimulationRow[] = [];
  private lastRow = { t: 0, produced: 0, consumed: 0 };

  constructor(private readonly o: ResolvedSimulation) {
    this.endMs = o.durationSec * 1000;
    this.serviceMs = 1000 / o.consumeRate;
    this.watermarks = this.createWatermarks();
    this.queue = new Channel<number>({
      name: 'simulated-queue',
      capacity: o.capacity,
      policy: CHANNEL_POLICY[o.policy],
      sampleEvery: o.sampleEvery,
      clock: this.clock,
      watermarks: this.watermarks,
    });
    this.thrashing = new ThrashingDetector({
      windowMs: Math.min(this.endMs, 60_000),
      maxFlips: 4,
      clock: this.clock,
    });
    this.watchPressure();
    this.attemptFails = failureDraw(o);
    const period = 1000 / rateAt(o, 0);
    this.producer = {
      base: 0,
      step: 1,
      period,
      nextAt: period,
      held: undefined,
      stopped: false,
      restartAt: undefined,
      heldSince: 0,
      blockedMs: 0,
      produced: 0,
    };
    this.consumer = {
      current: undefined,
      doneAt: Infinity,
      retries: 0,
      busySince: 0,
      busyMs: 0,
      consumed: 0,
      attempts: 0,
      failures: 0,
      deadLettered: 0,
      lastLatencyMs: 0,
      maxLatencyMs: 0,
      lastDoneAt: undefined,
    };
    this.depthChart = new Array<number>(o.chartWidth).fill(0);
  }

  /** Backpressure watermarks on the queue's bound (count, or memory for a memory-limited buffer). */
  private createWatermarks(): Watermarks | undefined {
    const o = this.o;
    const bound = Number.isFinite(o.capacity) ? o.capacity : Math.floor(o.memoryLimitBytes / o.eventBytes);
    if (!Number.isFinite(bound)) return undefined;
    return new Watermarks({
      high: Math.max(1, Math.floor(bound * o.highWatermark)),
      low: Math.floor(bound * o.lowWatermark),
      clock: this.clock,
    });
  }

  private watchPressure(): void {
    const watermarks = this.watermarks;
    if (watermarks) {
      this.thrashing.watch(watermarks);
      watermarks.onChange((e) => {
        if (e.transition === 'declared' && this.pressureDeclaredAt === undefined)
          this.pressureDeclaredAt = e.at;
        if (e.transition === 'relieved' && this.producer.stopped) this.relieve(e.at);
      });
    }
    this.thrashing.onChange((r) => {
      if (r.thrashing) this.thrashingSeen = true;
    });
  }

  /** Stop-and-resume: relieved at the low watermark, the source starts again after the resume delay. */
  private relieve(now: number): void {
    const p = this.producer;
    if (this.o.resumeDelayMs > 0) {
      p.restartAt = now + this.o.resumeDelayMs;
      return;
    }
    this.restartSource(now);
  }

  private restartSource(now: number): void {
    const p = this.producer;
    p.stopped = false;
    p.restartAt = undefined;
    p.blockedMs += now - p.heldSince;
    p.base = now;
    p.step = 0;
    this.scheduleNextProduction(now);
  }

  private get inFlight(): number {
    return this.consumer.current === undefined ? 0 : 1;
  }

  private memoryNow(): number {
    return (this.queue.depth + this.inFlight) * this.o.eventBytes;
  }

  private producerDone(): boolean {
    return this.producer.produced >= this.o.count;
  }

  private scheduleNextProduction(now: number): void {
    const p = this.producer;
    if (this.producerDone()) {
      p.nextAt = Infinity;
      return;
    }
    if (this.o.burst) {
      p.base = now;
      p.step = 1;
      p.period = 1000 / rateAt(this.o, now);
    } else {
      p.step++;
    }
    p.nextAt = p.base + p.step * p.period;
  }

  /** The consumer takes the next queued event, if any; a blocked producer's event then gets in. */
  private startNext(now: number): void {
    const item = this.queue.tryReceive();
    if (item === undefined) return;
    const c = this.consumer;
    c.current = item;
    c.busySince = now;
    c.retries = 0;
    c.doneAt = now + this.serviceMs;
    const p = this.producer;
    if (p.held !== undefined && this.queue.trySend(p.held)) {
      // Room again: the blocked producer's event goes in and it carries on from now.
      p.held = undefined;
      p.blockedMs += now - p.heldSince;
      p.produced++;
      p.base = now;
      p.step = 0;
      this.scheduleNextProduction(now);
    }
  }

  private crash(now: number): void {
    this.crashedAt = now;
    this.lostInCrash = this.queue.depth + this.inFlight;
  }

  private noteFull(now: number): void {
    if (this.fullAt === undefined) this.fullAt = now;
  }

  /** The producer's next event meets the queue under the policy. */
  private produce(now: number): void {
    const o = this.o;
    const p = this.producer;
    const item = now;
    if (o.policy === 'stop' && this.watermarks!.inPressure) {
      p.stopped = true;
      p.heldSince = now;
      this.noteFull(now);
      return; // stopped at the high watermark: nothing more until the queue falls to the low one
    }
    if (o.policy === 'block' || o.policy === 'stop') {
      if (!this.queue.trySend(item)) {
        p.held = item;
        p.heldSince = now;
        this.noteFull(now);
        return; // blocked: no more events until the consumer makes room
      }
    } else if (o.policy === 'buffer') {
      if (!this.queue.trySend(item)) {
        this.noteFull(now);
        this.crash(now);
        return;
      }
    } else {
      if (this.queue.depth >= o.capacity) this.noteFull(now);
      this.queue.trySend(item);
    }
    p.produced++;
    if (this.firstProducedAt === undefined) this.firstProducedAt = now;
    if (o.policy === 'buffer' && this.memoryNow() > o.memoryLimitBytes) {
      this.noteFull(now);
      this.crash(now);
      return;
    }
    if (this.consumer.current === undefined) this.startNext(now);
    this.scheduleNextProduction(now);
  }

  /**
   * An attempt ends. A failed one is retried while retries are left: the retry costs the consumer the
   * backoff and another processing time, which is how retries make a lagging consumer fall further behind.
   */
  private complete(now: number): void {
    const c = this.consumer;
    c.attempts++;
    if (this.attemptFails()) {
      c.failures++;
      if (c.retries < this.o.maxRetries) {
        c.retries++;
        c.doneAt = now + this.o.retryBackoffMs + this.serviceMs;
        return;
      }
      c.deadLettered++;
    } else {
      c.consumed++;
      c.lastLatencyMs = now - c.current!;
      if (c.lastLatencyMs > c.maxLatencyMs) c.maxLatencyMs = c.lastLatencyMs;
    }
    c.busyMs += now - c.busySince;
    c.current = undefined;
    c.doneAt = Infinity;
    c.lastDoneAt = now;
    this.startNext(now);
  }

  private note(now: number): void {
    const depth = this.queue.depth;
    if (depth > this.maxQueued) this.maxQueued = depth;
    const mem = this.memoryNow();
    if (mem > this.maxMemory) this.maxMemory = mem;
    const col = this.chartColumn(now);
    this.carryDepthTo(col);
    if (depth > this.depthChart[col]) this.depthChart[col] = depth;
    this.chartDepth = depth;
  }

  private chartColumn(now: number): number {
    return Math.min(this.o.chartWidth - 1, Math.floor((now / this.endMs) * this.o.chartWidth));
  }

  /** Columns with no event in them hold the depth the last event left (a slow run has such columns). */
  private carryDepthTo(col: number): void {
    for (let c = this.chartCol + 1; c <= col; c++) {
      if (this.chartDepth > this.depthChart[c]) this.depthChart[c] = this.chartDepth;
    }
    if (col > this.chartCol) this.chartCol = col;
  }

  private discarded(): number {
    return this.queue.stats.dropped + this.consumer.deadLettered;
  }

  /** One row of the time table. */
  private snapshot(now: number): void {
    const { produced } = this.producer;
    const { consumed } = this.consumer;
    const dt = (now - this.lastRow.t) / 1000 || 1;
    const oldest = this.queue.peek();
    this.rows.push({
      timeSec: now / 1000,
      produced,
      consumed,
      queued: this.queue.depth,
      inFlight: this.inFlight,
      lag: this.queue.depth + this.inFlight,
      dropped: this.discarded(),
      producerRate: (produced - this.lastRow.produced) / dt,
      consumerRate: (consumed - this.lastRow.consumed) / dt,
      memoryBytes: this.memoryNow(),
      oldestAgeMs: oldest === undefined ? 0 : now - oldest,
      pressure: this.watermarks?.inPressure ?? false,
      crashed: this.crashedAt !== undefined,
    });
    this.lastRow = { t: now, produced, consumed };
  }

  /** The event loop: always the earliest of the next production, completion, source restart and table row. */
  run(): SimulationResult {
    const intervalMs = this.o.intervalSec * 1000;
    let rowIndex = 1;
    const p = this.producer;
    const c = this.consumer;
    for (;;) {
      const tProduce = p.held === undefined && !p.stopped ? p.nextAt : Infinity;
      const tRestart = p.restartAt ?? Infinity;
      const tRow = Math.min(rowIndex * intervalMs, this.endMs);
      const t = Math.min(tProduce, c.doneAt, tRestart, tRow);
      if (t > this.endMs) break;
      if (t > this.clock.now()) this.clock.advanceSync(t - this.clock.now());
      if (c.doneAt === t) this.complete(t);
      else if (tRestart === t) this.restartSource(t);
      else if (tProduce === t) this.produce(t);
      else {
        this.snapshot(t);
        if (t >= this.endMs) break;
        rowIndex++;
        continue;
      }
      this.note(t);
      if (this.crashedAt !== undefined) {
        this.snapshot(t);
        break;
      }
    }
    return this.result();
  }

  private result(): SimulationResult {
    const o = this.o;
    if (this.crashedAt === undefined) this.carryDepthTo(o.chartWidth - 1);
    const p = this.producer;
    const c = this.consumer;
    const endedAt = this.crashedAt ?? this.endMs;
    const blockedMs = p.held !== undefined || p.stopped ? p.blockedMs + (endedAt - p.heldSince) : p.blockedMs;
    const busyMs = c.current === undefined ? c.busyMs : c.busyMs + (endedAt - c.busySince);
    const stats = this.queue.stats;
    const rates = departureRates(o, c);
    // With a fixed count the rate that matters is the one while it is being sent.
    const avgProduceRate = wantedAtRate(o, o.durationSec) / o.durationSec;
    const lag = this.crashedAt === undefined ? this.queue.depth + this.inFlight : 0;
    const totals: SimulationTotals = {
      wanted: wantedBy(o, endedAt / 1000),
      produced: p.produced,
      consumed: c.consumed,
      dropped: stats.dropped,
      sampled: stats.sampled,
      deadLettered: c.deadLettered,
      attempts: c.attempts,
      failures: c.failures,
      lag,
      maxQueued: this.maxQueued,
      maxMemoryBytes: this.maxMemory,
      blockedMs,
      consumerBusyMs: busyMs,
      consumerIdleMs: this.firstProducedAt === undefined ? 0 : endedAt - this.firstProducedAt - busyMs,
      fullAtSec: secOrUndefined(this.fullAt),
      crashedAtSec: secOrUndefined(this.crashedAt),
      lostInCrash: this.lostInCrash,
      pressureDeclaredAtSec: secOrUndefined(this.pressureDeclaredAt),
      pressureDeclarations: this.watermarks?.declaredCount ?? 0,
      thrashing: this.thrashingSeen,
      allHandledAtSec:
        this.producerDone() && lag === 0 && this.crashedAt === undefined
          ? secOrUndefined(c.lastDoneAt ?? 0)
          : undefined,
      lastLatencySec: c.lastLatencyMs / 1000,
      maxLatencySec: c.maxLatencyMs / 1000,
    };
    const leaveRate = rates.leave;
    const partial = {
      options: o,
      rows: this.rows,
      depthChart: this.depthChart,
      totals,
      effectiveConsumeRate: rates.succeed,
      growthPerSec: avgProduceRate - leaveRate,
      burstGrowthPerSec: o.burst ? o.burst.rate - leaveRate : undefined,
      endedAtSec: endedAt / 1000,
    };
    return { ...partial, verdict: verdictFor(partial) };
  }
}

const secOrUndefined = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

export function simulate(input: SimulationOptions): SimulationResult {
  return new SimulationRun(resolveSimulation(input)).run();
}

/** Runs the same scenario under each of the four policies, for a side-by-side answer. */
export function comparePolicies(input: Omit<SimulationOptions, 'policy'>): SimulationResult[] {
  return COURSE_POLICIES.map((policy) => simulate({ ...input, policy }));
}
