import { AGGREGATOR, runStrategy } from '../../engine/examples/fraud-detection.js';
import { type Scenario, type ScenarioOutcome, SEEDS } from './types.js';

/**
 * The chapter's slow instance on the fraud-detection job with 100 score-aggregator instances, one of
 * them at 500 ms a score (2/s) while it is offered about 9/s. Under drop, the error is bounded by the
 * slow instance's share of the traffic; under propagate, the whole job runs at its capacity, the
 * minimum over its instances.
 */
async function slowInstanceInHundred(): Promise<ScenarioOutcome> {
  const job = { aggregatorParallelism: 100, slowInstances: 1, slowCostMs: 500 };
  const drop = await runStrategy('drop', { ...job, queueCapacity: 20, durationMs: 30_000 });
  // Short queues so that backpressure reaches the sources early and the run's average is the held rate.
  const held = await runStrategy('propagate', { ...job, queueCapacity: 5, durationMs: 60_000 });
  const aggregators = drop.capacity.instances.filter((i) => i.id.startsWith(`${AGGREGATOR}#`));
  const all = aggregators.reduce((n, i) => n + i.itemsPerTransaction, 0);
  const slow = aggregators.find((i) => i.id === drop.slowInstance)!;
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  return {
    trace: [
      `drop: ${drop.slowInstance} capacity ${slow.capacityPerSecond.toFixed(1)}/s, utilisation ${pct(slow.utilization)}, headroom ${pct(slow.headroom)}`,
      `drop: ${pct(drop.droppedShare)} of the aggregator's scores discarded; ${drop.lost} of ${drop.read} transactions undecided (${pct(drop.lostShare)})`,
      `propagate: job capacity ${held.capacity.jobCapacity.toFixed(1)} txn/s (the minimum, ${held.capacity.limitedBy}); decisions ${held.throughput.toFixed(1)}/s`,
    ],
    figures: [
      {
        what: 'share of the aggregator traffic on the slow instance (%)',
        seed: 1,
        sluice: (slow.itemsPerTransaction / all) * 100,
        tolerance: 0.25,
      },
      {
        what: 'error under drop (events dropped) below 1% (1 = yes)',
        seed: 1,
        sluice: drop.droppedShare < 0.01 ? 1 : 0,
        tolerance: 0,
      },
      {
        what: 'job throughput held by backpressure (txn/s) vs the minimum instance capacity',
        seed: held.capacity.jobCapacity,
        sluice: held.throughput,
        tolerance: 0.1,
      },
    ],
    note: "The key grouping spreads transactions over the 100 instances by hash, so the slow one carries about, not exactly, 1%; it still works off part of that, so the events dropped stay under its share. Here a transaction needs all three of its scores, so one dropped score loses the transaction: the undecided share is about the slow instance's whole share. The job capacity is each instance's measured capacity over the transactions it is offered per transaction read, the minimum over instances (`sluice engine example fraud --parallelism 100 --slow-instances 1 --slow-cost 500`).",
  };
}

/** Grokking Streaming Systems chapter 9's examples: the slow instance, stop and resume. */
export const CHAPTER_SCENARIOS: Scenario[] = [
  {
    name: 'chapter-slow-instance',
    seed: SEEDS.chapter,
    passage: 'one slow instance in 100 → under 1% error with drop; job capacity = the slowest instance',
    run: slowInstanceInHundred,
  },
  {
    name: 'chapter-stop-resume',
    seed: SEEDS.chapter,
    passage: 'a low watermark of 0 leaves the consumer idle while the source restarts',
    run: null,
    missing: 'the simulator has no resume delay for the stop policy yet',
  },
];
