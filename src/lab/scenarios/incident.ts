import { Credits } from '../../flow/credits.js';
import { simulate } from '../../flow/simulation/index.js';
import { type Scenario, type ScenarioOutcome, SEEDS } from './types.js';

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

/** incident-106's examples: the in-flight table, the credit window. */
export const INCIDENT_SCENARIOS: Scenario[] = [
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
];
