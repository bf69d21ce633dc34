import { Broker } from '../broker/broker.js';
import { createLogger } from '../broker/logger.js';
import { Admin } from '../client/admin.js';
import { Credits } from '../flow/credits.js';
import { simulate } from '../flow/simulation/index.js';

/**
 * Every numeric example of the seeds as a scenario: each names its seed and passage, runs the example
 * with Sluice's own code (the simulator, the flow primitives), and sets the seed's figure beside
 * Sluice's. The verdict is computed from the two figures, never written down: `reproduced` when they
 * agree within the figure's tolerance, `seed arithmetic wrong` when they disagree but Sluice agrees with
 * the arithmetic of the seed's own stated inputs (the scenario says which), `differs` otherwise, and
 * `not runnable` for examples Sluice cannot run yet (the reason is given).
 */

export interface SeedRef {
  /** File in the seeds directory. */
  file: string;
  title: string;
}

export interface Figure {
  what: string;
  /** The seed's figure. */
  seed: number;
  /** Sluice's, from running the example. */
  sluice: number;
  /** The figure the seed's own stated inputs give, when its arithmetic can be checked. */
  fromSeedInputs?: number;
  /** Relative tolerance (default 2%). */
  tolerance?: number;
  unit?: string;
}

export type Verdict = 'reproduced' | 'seed arithmetic wrong' | 'differs' | 'not runnable';

export interface ScenarioOutcome {
  figures: Figure[];
  /** Step-by-step output (a trace), printed before the figures. */
  trace?: string[];
  /** What the figures mean, in a sentence or two. */
  note?: string;
}

export interface Scenario {
  name: string;
  seed: SeedRef;
  passage: string;
  /** Null when Sluice cannot run the example yet: `missing` says what it lacks. */
  run: (() => Promise<ScenarioOutcome> | ScenarioOutcome) | null;
  missing?: string;
}

export const SEEDS = {
  module: { file: '000_b738f1660c088eaf.txt', title: 'Module 3: Backpressure & Durability' },
  lab: { file: '001_d53bb5ca08ab50c8.txt', title: 'Lab 45: Backpressure in Streams (Kafka Consumer Lag)' },
  incident: { file: '002_ce0ea57ea8f19d32.txt', title: 'incident-106-backpressure: Backpressure Mismatch' },
  lesson: { file: '003_06aeb41aeb0d97a9.txt', title: 'Day 493: Backpressure and Flow Control' },
  chapter: { file: '004_db441761ff799f5c.txt', title: 'Grokking Streaming Systems, chapter 9: Backpressure' },
} as const satisfies Record<string, SeedRef>;

const within = (f: Figure) => {
  const tol = f.tolerance ?? 0.02;
  const agree = (a: number, b: number) => Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b), 1e-9);
  return { agree, seedAgrees: agree(f.seed, f.sluice) };
};

/** One figure's verdict, from the figures alone. */
export function figureVerdict(f: Figure): Exclude<Verdict, 'not runnable'> {
  const { agree, seedAgrees } = within(f);
  if (seedAgrees) return 'reproduced';
  if (f.fromSeedInputs !== undefined && agree(f.fromSeedInputs, f.sluice)) return 'seed arithmetic wrong';
  return 'differs';
}

/** A scenario's verdict: its worst figure's (a seed error Sluice corrects still counts as reproduced). */
export function scenarioVerdict(outcome: ScenarioOutcome | null): Verdict {
  if (!outcome) return 'not runnable';
  const verdicts = outcome.figures.map(figureVerdict);
  if (verdicts.includes('differs')) return 'differs';
  return verdicts.includes('seed arithmetic wrong') ? 'seed arithmetic wrong' : 'reproduced';
}

/** A scenario counts as reproduced when Sluice gives the seed's figure, or the right one where the seed erred. */
export const countsAsReproduced = (v: Verdict) => v === 'reproduced' || v === 'seed arithmetic wrong';

/** Consumer capacity by simulation: a producer far faster than the consumer, the consumer's finished events per second. */
function simulatedCapacity(processingMs: number): number {
  // A producer ten times faster than the consumer, long enough for 1,000 messages so the first one's processing time does not count much.
  const durationSec = processingMs;
  const r = simulate({
    produceRate: 10_000 / processingMs,
    processingMs,
    policy: 'block',
    capacity: 10,
    durationSec,
  });
  return r.totals.consumed / durationSec;
}

/** Peak lag of a burst of `count` orders `delayMs` apart into a consumer at `processingMs` per order. */
function burstPeak(count: number, delayMs: number, processingMs: number): number {
  const rate = 1000 / delayMs;
  const r = simulate({
    produceRate: 1e-3,
    processingMs,
    policy: 'buffer',
    durationSec: (count / rate) * 2,
    burst: { rate, seconds: count / rate, everySec: 1e6 },
  });
  return r.totals.maxQueued;
}

/**
 * The incident's credit window: 1000 credits up front, 100 per send, the producer stops when credits
 * are down to 100, the consumer processes 500 and grants 500. Run on Sluice's `Credits`.
 */
function creditTrace(): ScenarioOutcome {
  const credits = new Credits({ initial: 1000 });
  const trace = [`start: ${credits.available} credits`];
  let sends = 0;
  while (credits.available > 100 && credits.tryAcquire(100)) {
    sends++;
    trace.push(`send ${sends}: 100 messages, ${credits.available} credits left`);
  }
  const stoppedAt = credits.available;
  trace.push(`credits low (${stoppedAt}): the producer stops`);
  credits.grant(500);
  trace.push(`the consumer processes 500 and grants 500: ${credits.available} credits, the producer resumes`);
  return {
    trace,
    figures: [
      { what: 'credits when the producer stops', seed: 100, sluice: stoppedAt, tolerance: 0 },
      { what: 'messages sent before stopping', seed: 900, sluice: sends * 100, tolerance: 0 },
      { what: 'credits after the grant', seed: 600, sluice: credits.available, tolerance: 0 },
    ],
    note: 'The diagram shows two sends then "credits low: 100": 1000 − 100 per send reaches 100 after nine sends.',
  };
}

/** The lesson's loop: MAX_IN_FLIGHT 2000 permits, polls of at most min(available, 500) records. */
function pollTrace(): ScenarioOutcome {
  const permits = new Credits({ initial: 2000, max: 2000 });
  const trace: string[] = [];
  const polls: number[] = [];
  let peak = 0;
  for (let i = 1; i <= 5; i++) {
    const batch = permits.tryAcquireUpTo(Math.min(permits.available, 500));
    polls.push(batch);
    peak = Math.max(peak, 2000 - permits.available);
    trace.push(
      batch > 0
        ? `poll ${i}: ${batch} records, ${2000 - permits.available} in flight, ${permits.available} permits left`
        : `poll ${i}: no permits: wait_for_any_write_to_finish()`,
    );
  }
  permits.grant(500);
  const after = permits.tryAcquireUpTo(Math.min(permits.available, 500));
  trace.push(`500 writes finish: the next poll takes ${after}`);
  return {
    trace,
    figures: [
      {
        what: 'most records in flight',
        seed: 2000,
        sluice: peak,
        tolerance: 0,
      },
      { what: 'largest poll', seed: 500, sluice: Math.max(...polls), tolerance: 0 },
      {
        what: 'polls before the loop waits',
        seed: 4,
        sluice: polls.filter((p) => p > 0).length,
        tolerance: 0,
      },
    ],
  };
}

/** The module's retention change, on an embedded broker in memory: 24 h at creation, then 48 h. */
async function retentionOnBroker(): Promise<ScenarioOutcome> {
  const broker = new Broker(
    { host: '127.0.0.1', port: 0, dataDir: '.sluice-scenario', durability: 'memory' },
    { logger: createLogger('sluice-scenario', 'warn') },
  );
  const { port } = await broker.start();
  const admin = new Admin({ brokers: [`127.0.0.1:${port}`] });
  const hours = async () => {
    const [c] = await admin.describeConfigs({ type: 2, name: 'orders' }, ['retention.ms']);
    return Number(c.value) / 3_600_000;
  };
  try {
    await admin.createTopics([
      { topic: 'orders', numPartitions: 1, configs: { 'retention.ms': String(24 * 3_600_000) } },
    ]);
    const before = await hours();
    await admin.incrementalAlterConfigs(
      { type: 2, name: 'orders' },
      { 'retention.ms': String(48 * 3_600_000) },
    );
    return {
      figures: [
        { what: 'retention before (h)', seed: 24, sluice: before, tolerance: 0 },
        { what: 'retention after (h)', seed: 48, sluice: await hours(), tolerance: 0 },
      ],
    };
  } finally {
    await admin.close();
    await broker.stop();
  }
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'lab-capacity',
    seed: SEEDS.lab,
    passage:
      '`1000ms / processing_time_ms = max msg/sec` (50 ms → 20 msg/s, 2000 ms → 0.5, 100 ms → 10, 500 ms → 2)',
    run: () => ({
      figures: [50, 2000, 100, 500].map((ms) => ({
        what: `msg/s at ${ms} ms per message`,
        seed: 1000 / ms,
        sluice: simulatedCapacity(ms),
        tolerance: 0.05,
      })),
    }),
  },
  {
    name: 'lab-exercise-2',
    seed: SEEDS.lab,
    passage: 'auto-producer at 10 msg/100ms = 100 msg/sec against a consumer at 500 ms (2 msg/s)',
    run: () => {
      const r = simulate({ produceRate: 100, processingMs: 500, policy: 'buffer', durationSec: 60 });
      return {
        figures: [
          { what: 'lag growth (msg/s)', seed: 98, sluice: r.growthPerSec },
          { what: 'lag after 60 s', seed: 98 * 60, sluice: r.totals.lag },
        ],
      };
    },
  },
  {
    name: 'lab-burst-threshold',
    seed: SEEDS.lab,
    passage:
      'exercise 7: burst of 500 orders 5 ms apart against a consumer at 100 ms; lag over 500 is critical',
    run: () => {
      const seedBurst = burstPeak(500, 5, 100);
      const crossing = burstPeak(600, 5, 100);
      return {
        figures: [
          { what: 'peak lag of the seed’s burst (critical above 500)', seed: 500, sluice: seedBurst },
        ],
        note: `The consumer works off 10/s while the burst lasts 2.5 s, so the peak stays under 500 and no critical alert fires; 600 orders peak at ${crossing}, which crosses it (docs/lab.md, exercise 7).`,
      };
    },
  },
  {
    name: 'module-retries',
    seed: SEEDS.module,
    passage:
      'question 3: 100 events/s, a bug makes 50% fail and retry: 50 events/s, after 1 hour 50 × 3600 = 180,000 behind',
    run: () => {
      const r = simulate({
        produceRate: 100,
        consumeRate: 100,
        failureRate: 0.5,
        seed: 1,
        policy: 'buffer',
        durationSec: 3600,
      });
      return {
        figures: [
          { what: 'events/s processed', seed: 50, sluice: r.totals.consumed / 3600 },
          { what: 'events behind after 1 hour', seed: 180_000, sluice: r.totals.lag },
        ],
        note: 'Seeded random failures, every failed attempt retried until it succeeds.',
      };
    },
  },
  {
    name: 'incident-inflight-table',
    seed: SEEDS.incident,
    passage:
      '"In-Flight Messages Over Time": producer 10,000 msg/s, consumer 5,000 msg/s; T=10s: 50,000 produced, 5,000 consumed',
    run: () => {
      const r = simulate({
        produceRate: 10_000,
        consumeRate: 5_000,
        policy: 'buffer',
        durationSec: 50,
        intervalSec: 10,
        memoryLimitBytes: 1e15,
      });
      const at10 = r.rows.find((row) => row.timeSec === 10)!;
      return {
        trace: r.rows.map(
          (row) =>
            `T=${row.timeSec}s: ${row.produced} produced, ${row.consumed} consumed, ${row.lag} in flight`,
        ),
        figures: [
          {
            what: 'produced by T=10s',
            seed: 50_000,
            sluice: at10.produced,
            fromSeedInputs: 10_000 * 10,
            tolerance: 0.001,
          },
          {
            what: 'consumed by T=10s',
            seed: 5_000,
            sluice: at10.consumed,
            fromSeedInputs: 5_000 * 10,
            tolerance: 0.001,
          },
        ],
        note: "The table's columns grow 5,000/s and 500/s (the latter is the observation's \"500 msg/s\"), not the diagram's 10,000 and 5,000: at those rates T=10s has 100,000 produced, 50,000 consumed and 50,000 in flight.",
      };
    },
  },
  {
    name: 'incident-credits',
    seed: SEEDS.incident,
    passage:
      'credit-based flow control: initial credits 1000, send 100 messages per step, stop at 100, grant 500',
    run: creditTrace,
  },
  {
    name: 'lesson-poll-limit',
    seed: SEEDS.lesson,
    passage: 'MAX_IN_FLIGHT = 2000; consumer.poll(max_records=min(available, 500))',
    run: pollTrace,
  },
  {
    name: 'lesson-burst',
    seed: SEEDS.lesson,
    passage:
      'a burst of 3,000 events per second while the PostgreSQL sink commits about 600 upserts per second',
    run: () => {
      const r = simulate({
        produceRate: 3000,
        consumeRate: 600,
        policy: 'buffer',
        durationSec: 120,
        memoryLimitBytes: 1e15,
      });
      return {
        figures: [
          { what: 'lag growth (events/s)', seed: 3000 - 600, sluice: r.growthPerSec },
          { what: 'lag after the 2-minute freshness budget', seed: 2400 * 120, sluice: r.totals.lag },
        ],
      };
    },
  },
  {
    name: 'module-retention',
    seed: SEEDS.module,
    passage: 'raise stream retention from 24 h to 48 h (`sluice topic alter orders --retention 48h`)',
    run: retentionOnBroker,
  },
  {
    name: 'chapter-slow-instance',
    seed: SEEDS.chapter,
    passage: 'one slow instance in 100 → under 1% error with drop; job capacity = the slowest instance',
    run: null,
    missing: '`sluice engine example fraud --parallelism N --slow-instances K` does not exist yet',
  },
  {
    name: 'chapter-stop-resume',
    seed: SEEDS.chapter,
    passage: 'a low watermark of 0 leaves the consumer idle while the source restarts',
    run: null,
    missing: 'the simulator has no resume delay for the stop policy yet',
  },
  {
    name: 'module-fixed-count',
    seed: SEEDS.module,
    passage: '20 events, 0.5 s apart',
    run: null,
    missing: '`sluice simulate --count 20` does not exist yet',
  },
  {
    name: 'module-quota-reject',
    seed: SEEDS.module,
    passage: 'Kinesis-style reject when a shard is over its limit',
    run: null,
    missing:
      'the reject mode does not refuse what exceeds the bucket’s burst, and clients report its error unclearly',
  },
];

export interface ScenarioResult {
  scenario: Scenario;
  outcome: ScenarioOutcome | null;
  verdict: Verdict;
}

export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const outcome = scenario.run ? await scenario.run() : null;
  return { scenario, outcome, verdict: scenarioVerdict(outcome) };
}

export function findScenario(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) {
    throw new Error(
      `no scenario "${name}"; \`sluice scenario list\` names them: ${SCENARIOS.map((x) => x.name).join(', ')}`,
    );
  }
  return s;
}

const fmt = (n: number) =>
  Number.isInteger(n) ? n.toLocaleString('en-US') : Number(n.toPrecision(4)).toLocaleString('en-US');

/** One scenario as text: the seed and passage, any trace, each figure beside the seed's, the verdict. */
export function renderScenario(r: ScenarioResult): string {
  const { scenario: s, outcome } = r;
  const lines = [`${s.name} — ${s.seed.title} (${s.seed.file})`, `  passage: ${s.passage}`];
  if (!outcome) {
    lines.push(`  not runnable: ${s.missing ?? 'no runner'}`);
  } else {
    for (const t of outcome.trace ?? []) lines.push(`    ${t}`);
    for (const f of outcome.figures) {
      const v = figureVerdict(f);
      const right =
        v === 'seed arithmetic wrong' ? ` (the seed's own inputs give ${fmt(f.fromSeedInputs ?? 0)})` : '';
      lines.push(`  ${f.what}: seed ${fmt(f.seed)}, Sluice ${fmt(f.sluice)} → ${v}${right}`);
    }
    if (outcome.note) lines.push(`  ${outcome.note}`);
  }
  lines.push(`  verdict: ${r.verdict}`);
  return lines.join('\n');
}

/** The closing note of `sluice scenario all`. */
export function renderSummary(results: ScenarioResult[]): string {
  const reproduced = results.filter((r) => countsAsReproduced(r.verdict)).length;
  const by = (v: Verdict) => results.filter((r) => r.verdict === v).length;
  return (
    `${reproduced} of ${results.length} scenarios reproduced (${by('seed arithmetic wrong')} of them correcting the seed's arithmetic); ` +
    `${by('differs')} differ, ${by('not runnable')} not runnable yet`
  );
}
