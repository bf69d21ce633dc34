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
  /**
   * When the seed states a bound rather than a value ("lag grows faster" than 50/s, "under 1%"): Sluice's
   * figure reproduces it when it is above (or below) the seed's. Printed as "more than" / "less than".
   */
  bound?: 'above' | 'below';
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

/** The five seeds, by the name each scenario file carries. */
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
  if (f.bound !== undefined) {
    const holds = f.bound === 'above' ? f.sluice > f.seed : f.sluice < f.seed;
    return holds ? 'reproduced' : 'differs';
  }
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
