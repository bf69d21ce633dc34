import { type Scenario, SEEDS } from './types.js';

/** Grokking Streaming Systems chapter 9's examples: the slow instance, stop and resume. */
export const CHAPTER_SCENARIOS: Scenario[] = [
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
];
