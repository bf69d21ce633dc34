/**
 * The fraud-detection job of "Grokking Streaming Systems" (chapters 4 and 9): transactions fan out to
 * three analyzers, their scores fan in to a score aggregator keyed by transaction, and decisions go to
 * a sink. One score-aggregator instance is slow, and each engine strategy deals with it differently.
 */
import { type Clock, VirtualClock } from '../../flow/clock.js';
import { seededRandom } from '../../flow/random.js';
import { runJob } from '../engine.js';
import { Job, type JobGraph, type Node } from '../job.js';
import type { JobMetrics } from '../metrics.js';
import { rateSource } from '../sources.js';
import { byKey, type InstanceInfo, type Strategy } from '../types.js';

export interface Transaction {
  id: string;
  card: number;
  amount: number;
  lat: number;
  lon: number;
  at: number;
}

export interface Score {
  txId: string;
  analyzer: 'avg-ticket' | 'proximity' | 'txn-count';
  score: number;
}

export interface Decision {
  txId: string;
  score: number;
  fraud: boolean;
}

export interface FraudJobOptions {
  /** Transactions per second per source instance (2 instances). Default 150. */
  ratePerSource?: number;
  /** Processing time of the slow score-aggregator instance (ms per score). Default 5 (200 scores/s). */
  slowCostMs?: number;
  /** Processing time of the other aggregator instances (ms per score). Default 1.5. */
  aggregatorCostMs?: number;
  /** The first slow aggregator instance. Default 1. */
  slowInstance?: number;
  /** How many aggregator instances are slow, from `slowInstance` on (wrapping round). Default 1. */
  slowInstances?: number;
  /** Instances of the score aggregator. Default 3. */
  aggregatorParallelism?: number;
  /** Queue capacity in front of every instance. Default 200. */
  queueCapacity?: number;
  /** Number of cards the transactions are spread over. Default 500. */
  cards?: number;
}

/** Counts the job keeps about transactions that never got all three scores. */
export interface FraudStats {
  decided: number;
  fraud: number;
  /** Transactions the aggregator gave up on (a score never came: it was dropped). */
  incomplete: number;
}

export const AGGREGATOR = 'score-aggregator';

export function buildFraudJob(options: FraudJobOptions = {}, stats: FraudStats = newStats()): JobGraph {
  const rate = options.ratePerSource ?? 150;
  const cards = options.cards ?? 500;
  const queue = { capacity: options.queueCapacity ?? 200 };
  const job = new Job('fraud-detection');

  const makers = new Map<number, (seq: number, at: number) => Transaction>();
  const transactions = job.source(
    'transactions',
    rateSource<Transaction>({
      rate,
      parallelism: 2,
      make: (seq, info: InstanceInfo, at) => {
        let make = makers.get(info.index);
        if (!make)
          makers.set(info.index, (make = transactionMaker(42 + info.index, cards, `t${info.index}-`)));
        return make(seq, at);
      },
    }),
  );

  const aggregator = addScoring(job, transactions, options, stats);

  const decisions = job.sink<Decision>('decisions', {
    write: (d) => {
      stats.decided++;
      if (d.fraud) stats.fraud++;
    },
    queue,
  });

  job.connect(aggregator, decisions);
  return job.build();
}

/**
 * The scoring part of the job, shared by the simulated example and the Kafka job: `transactions` fan out
 * by card to the three analyzers, whose scores fan in by transaction to the aggregator. Returns the
 * aggregator, whose decisions the caller sends to its sink.
 */
export function addScoring(
  job: Job,
  transactions: Node<never, Transaction>,
  options: FraudJobOptions,
  stats: FraudStats,
): Node<Score, Decision> {
  const isSlow = slowSet(options);
  const queue = { capacity: options.queueCapacity ?? 200 };
  const avgTicket = addAvgTicket(job, queue);
  const proximity = addProximity(job, queue);
  const txnCount = addTxnCount(job, queue);
  const aggregator = addAggregator(job, queue, options, isSlow, stats);
  const byCard = byKey<Transaction>((tx) => tx.card);
  const byTx = byKey<Score>((s) => s.txId);
  job
    .connect(transactions, avgTicket, { grouping: byCard })
    .connect(transactions, proximity, { grouping: byCard })
    .connect(transactions, txnCount, { grouping: byCard })
    .connect(avgTicket, aggregator, { grouping: byTx })
    .connect(proximity, aggregator, { grouping: byTx })
    .connect(txnCount, aggregator, { grouping: byTx });
  return aggregator;
}

interface QueueBound {
  capacity: number;
}

/** How far a transaction's amount is above the card's running average ticket. */
function addAvgTicket(job: Job, queue: QueueBound): Node<Transaction, Score> {
  return job.operator<Transaction, Score>('avg-ticket', {
    parallelism: 2,
    cost: 1,
    queue,
    create: () => {
      const averages = new Map<number, { n: number; mean: number }>();
      return {
        process: (tx, ctx) => {
          const a = averages.get(tx.card) ?? { n: 0, mean: tx.amount };
          const ratio = a.n === 0 ? 1 : tx.amount / a.mean;
          a.n++;
          a.mean += (tx.amount - a.mean) / a.n;
          averages.set(tx.card, a);
          ctx.emit({
            txId: tx.id,
            analyzer: 'avg-ticket',
            score: Math.min(1, Math.max(0, (ratio - 1) / 10)),
          });
        },
      };
    },
  });
}

/** Windowed proximity: a card used far away from where it was used within the last 10 minutes. */
function addProximity(job: Job, queue: QueueBound): Node<Transaction, Score> {
  return job.operator<Transaction, Score>('proximity', {
    parallelism: 2,
    cost: 1,
    queue,
    create: () => {
      const last = new Map<number, Transaction>();
      return {
        process: (tx, ctx) => {
          const prev = last.get(tx.card);
          let score = 0;
          if (prev && tx.at - prev.at < 600_000) {
            const km = Math.hypot(tx.lat - prev.lat, tx.lon - prev.lon) * 111;
            score = Math.min(1, km / 2000);
          }
          last.set(tx.card, tx);
          ctx.emit({ txId: tx.id, analyzer: 'proximity', score });
        },
      };
    },
  });
}

/** Windowed count: how many times the card was used in the last 60 seconds (event time). */
function addTxnCount(job: Job, queue: QueueBound): Node<Transaction, Score> {
  return job.operator<Transaction, Score>('txn-count', {
    parallelism: 2,
    cost: 1,
    queue,
    create: () => {
      const recent = new Map<number, number[]>();
      return {
        process: (tx, ctx) => {
          const times = (recent.get(tx.card) ?? []).filter((t) => tx.at - t < 60_000);
          times.push(tx.at);
          recent.set(tx.card, times);
          ctx.emit({
            txId: tx.id,
            analyzer: 'txn-count',
            score: Math.min(1, Math.max(0, (times.length - 3) / 10)),
          });
        },
      };
    },
  });
}

/** Averages the three scores of a transaction into a decision; the instances `isSlow` picks cost more. */
function addAggregator(
  job: Job,
  queue: QueueBound,
  options: FraudJobOptions,
  isSlow: (instance: number) => boolean,
  stats: FraudStats,
): Node<Score, Decision> {
  const slowCost = options.slowCostMs ?? 5;
  const aggCost = options.aggregatorCostMs ?? 1.5;
  return job.operator<Score, Decision>(AGGREGATOR, {
    parallelism: options.aggregatorParallelism ?? 3,
    cost: (_score, instance) => (isSlow(instance) ? slowCost : aggCost),
    queue,
    create: () => {
      const pending = new Map<string, { sum: number; n: number; since: number }>();
      return {
        process: (s, ctx) => {
          const now = ctx.now();
          // A transaction whose scores have not all come within 10 s lost one to a drop: give up on it.
          for (const [id, p] of pending) {
            if (now - p.since < 10_000) break;
            pending.delete(id);
            stats.incomplete++;
          }
          const p = pending.get(s.txId) ?? { sum: 0, n: 0, since: now };
          p.sum += s.score;
          p.n++;
          if (p.n < 3) {
            pending.set(s.txId, p);
            return;
          }
          pending.delete(s.txId);
          const score = p.sum / 3;
          ctx.emit({ txId: s.txId, score, fraud: score > 0.3 });
        },
        close: () => {
          stats.incomplete += pending.size;
        },
      };
    },
  });
}

/** Which aggregator instances are slow, checked at the edge: 0 <= K <= parallelism. */
export function slowSet(options: FraudJobOptions): (instance: number) => boolean {
  const n = options.aggregatorParallelism ?? 3;
  const first = firstSlowInstance(options);
  const k = options.slowInstances ?? 1;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`aggregator parallelism ${n}: give a whole number of instances >= 1`);
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new Error(`slow instances ${k}: give a whole number from 0 to the parallelism (${n})`);
  if (!Number.isInteger(first) || first < 0 || first >= n)
    throw new Error(`slow instance ${first}: give an instance index from 0 to ${n - 1}`);
  return (instance) => (instance - first + n) % n < k;
}

/** The first slow aggregator instance: `slowInstance`, else #1 (#0 when there is only one). */
export function firstSlowInstance(options: FraudJobOptions): number {
  return options.slowInstance ?? Math.min(1, (options.aggregatorParallelism ?? 3) - 1);
}

/**
 * Deterministic transactions over `cards` cards from `seed`: most tickets ordinary, a few large, a few
 * from far away. Ids are `prefix` + seq.
 */
export function transactionMaker(
  seed: number,
  cards: number,
  prefix: string,
): (seq: number, at: number) => Transaction {
  const random = seededRandom(seed);
  return (seq, at) => {
    const card = Math.floor(random() * cards);
    const amount = random() < 0.02 ? 2000 + random() * 8000 : 5 + random() * 120;
    const far = random() < 0.01;
    return {
      id: `${prefix}${seq}`,
      card,
      amount,
      lat: 48 + (far ? 20 : 0) + random() * 0.5,
      lon: 2 + (far ? 40 : 0) + random() * 0.5,
      at,
    };
  };
}

export function newStats(): FraudStats {
  return { decided: 0, fraud: 0, incomplete: 0 };
}

export interface StrategyOutcome {
  strategy: Strategy;
  durationMs: number;
  /** Transactions read by the sources during the run. */
  read: number;
  /** Decisions reaching the sink during the run. */
  decided: number;
  /** Decisions per second over the run. */
  throughput: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Deepest the slow instance's queue got. */
  maxQueueDepth: number;
  queueCapacity: number;
  /** Scores discarded on the way (drop and sample). */
  dropped: number;
  /** Transactions read but never decided, counted after draining the job. */
  lost: number;
  /** Share of the run the sources spent backpressured (blocked or paused). */
  sourceBackpressure: number;
  /** How many times backpressure was declared on any queue. */
  declarations: number;
  /** Verdict on the queue at the root of the pressure, with the instance. */
  thrashing: string;
  bottleneck: string;
  /** Depth of the slow instance's queue, one point per sample. */
  depthSeries: number[];
  /** The slow instance the queue figures are of (the first slow one). */
  slowInstance: string;
  /** The chapter's capacity, utilisation and headroom of every instance, and the job's. */
  capacity: CapacityReport;
  /** Share of the transactions read that never got a decision (after draining). */
  lostShare: number;
  /** The chapter's error: share of the scores sent to the aggregator that were discarded at its queues. */
  droppedShare: number;
}

/** One instance's figures over the run, in the chapter's terms. */
export interface InstanceCapacity {
  id: string;
  /** Items per second it can process: items processed per second it was busy. */
  capacityPerSecond: number;
  /** Share of the run it was busy (0..1). */
  utilization: number;
  /** 1 - utilization. */
  headroom: number;
  /** Items offered to it (processed, still queued, or dropped at its queue) per transaction read. */
  itemsPerTransaction: number;
  /** Transactions per second the job could read before this instance is full: capacity / items per transaction. */
  jobCapacity: number;
}

export interface CapacityReport {
  /** Every operator and sink instance that did work (sources read at the rate they are given). */
  instances: InstanceCapacity[];
  /** The job's capacity in transactions per second: the minimum over its instances. */
  jobCapacity: number;
  /** The instance that minimum is of. */
  limitedBy: string;
  /** The job's headroom: the minimum over its instances (the chapter's definition). */
  headroom: number;
  /** Transactions per second the sources offered. */
  offered: number;
}

export interface CompareOptions extends FraudJobOptions {
  strategies?: readonly Strategy[];
  /** Virtual run time per strategy (ms). Default 60 000. */
  durationMs?: number;
  /** Clock factory; default: a fresh VirtualClock per strategy. */
  clock?: () => Clock;
  /** Advances time on the clock (a VirtualClock is advanced; a real one is slept on). */
  sampleIntervalMs?: number;
  /** Called as each strategy's run moves on: `done` is its share of the run time passed, 0..1. */
  onProgress?: (strategy: Strategy, done: number) => void;
  /** Called with each strategy's outcome as soon as its run ends, before the next one starts. */
  onOutcome?: (outcome: StrategyOutcome) => void;
}

/** Steps a run is advanced in, each followed by a progress call (splitting time changes no result). */
const PROGRESS_STEPS = 50;

/** Runs the job once per strategy and reports what each did. */
export async function compareStrategies(options: CompareOptions = {}): Promise<StrategyOutcome[]> {
  const strategies =
    options.strategies ?? (['propagate', 'stop-sources', 'stop-upstream', 'drop', 'sample'] as const);
  const outcomes: StrategyOutcome[] = [];
  for (const strategy of strategies) {
    const outcome = await runStrategy(strategy, options);
    options.onOutcome?.(outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}

export async function runStrategy(
  strategy: Strategy,
  options: CompareOptions = {},
): Promise<StrategyOutcome> {
  const durationMs = options.durationMs ?? 60_000;
  const clock = options.clock?.() ?? new VirtualClock();
  const stats = newStats();
  const graph = buildFraudJob(options, stats);
  const sampleIntervalMs = options.sampleIntervalMs ?? 250;
  const run = runJob(graph, {
    clock,
    strategy,
    sampleIntervalMs,
    historySize: Math.ceil(durationMs / sampleIntervalMs) + 10,
  });
  for (let step = 1; step <= PROGRESS_STEPS; step++) {
    const until = Math.round((durationMs * step) / PROGRESS_STEPS);
    await advance(clock, until - Math.round((durationMs * (step - 1)) / PROGRESS_STEPS));
    options.onProgress?.(strategy, step / PROGRESS_STEPS);
  }
  const m = run.metrics(Number.POSITIVE_INFINITY);
  const slowId = `${AGGREGATOR}#${firstSlowInstance(options)}`;
  const slow = m.instances.find((i) => i.id === slowId)!;
  const sources = m.instances.filter((i) => i.kind === 'source');
  const root = m.thrashing.find((t) => t.root) ?? m.thrashing[0];
  const outcome: StrategyOutcome = {
    strategy,
    durationMs,
    read: m.sources.read,
    decided: stats.decided,
    throughput: (stats.decided * 1000) / durationMs,
    latencyP50Ms: m.sinks.latencyMs.p50,
    latencyP99Ms: m.sinks.latencyMs.p99,
    maxQueueDepth: slow.queue!.maxDepth,
    queueCapacity: slow.queue!.capacity,
    dropped: m.dropped,
    lost: 0,
    sourceBackpressure:
      sources.reduce((s, i) => s + i.backPressuredTimeMsPerSecond, 0) / sources.length / 1000,
    declarations: m.backpressure.declarations,
    thrashing: root ? `${root.verdict} (${root.instance})` : 'none',
    bottleneck: m.bottleneck?.instance ?? 'none',
    depthSeries: run.samples(slowId).map((s) => s.depth),
    slowInstance: slowId,
    capacity: capacityReport(m, durationMs),
    lostShare: 0,
    droppedShare: droppedShare(m),
  };
  // Stops the sources and lets everything in flight reach the sink (on a VirtualClock, stop moves time).
  await run.stop({ drain: true });
  const read = run.metrics(Number.POSITIVE_INFINITY).sources.read;
  outcome.lost = read - stats.decided;
  outcome.lostShare = read > 0 ? outcome.lost / read : 0;
  return outcome;
}

/**
 * Each instance's capacity, utilisation and headroom from the run's metrics, and the job's capacity as
 * the minimum over them. Instances see different items (transactions, scores) in different shares, so
 * each capacity is also put in the job's unit: the transactions per second the sources could read
 * before that instance is full, given the items it was offered per transaction read.
 */
export function capacityReport(m: JobMetrics, durationMs: number): CapacityReport {
  const read = Math.max(1, m.sources.read);
  const droppedAt = new Map<string, number>();
  for (const e of m.edges) {
    for (const [id, n] of Object.entries(e.droppedAt)) droppedAt.set(id, (droppedAt.get(id) ?? 0) + n);
  }
  const instances: InstanceCapacity[] = [];
  for (const i of m.instances) {
    if (i.kind === 'source' || i.capacityPerSecond === undefined) continue;
    const offered = i.processedTotal + (i.queue?.depth ?? 0) + (droppedAt.get(i.id) ?? 0);
    const itemsPerTransaction = offered / read;
    instances.push({
      id: i.id,
      capacityPerSecond: i.capacityPerSecond,
      utilization: i.utilization,
      headroom: i.headroom,
      itemsPerTransaction,
      jobCapacity: itemsPerTransaction > 0 ? i.capacityPerSecond / itemsPerTransaction : Infinity,
    });
  }
  const limiting = instances.reduce<InstanceCapacity | undefined>(
    (min, i) => (!min || i.jobCapacity < min.jobCapacity ? i : min),
    undefined,
  );
  return {
    instances,
    jobCapacity: limiting?.jobCapacity ?? Infinity,
    limitedBy: limiting?.id ?? 'none',
    headroom: m.headroom,
    offered: (m.sources.read * 1000) / durationMs,
  };
}

/** Scores discarded at the aggregator's queues (dropped or sampled out), as a share of those sent to it. */
function droppedShare(m: JobMetrics): number {
  const into = m.edges.filter((e) => e.to === AGGREGATOR);
  const lost = into.reduce((n, e) => n + e.dropped + e.sampledOut, 0);
  const offered = lost + into.reduce((n, e) => n + e.sent, 0);
  return offered > 0 ? lost / offered : 0;
}

async function advance(clock: Clock, ms: number): Promise<void> {
  if (clock instanceof VirtualClock) await clock.advance(ms);
  else await clock.sleep(ms);
}
