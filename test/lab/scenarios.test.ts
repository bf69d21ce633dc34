import { afterAll, describe, expect, it } from 'vitest';
import {
  countsAsReproduced,
  type Figure,
  figureVerdict,
  SCENARIOS,
  type Verdict,
} from '../../src/lab/scenarios/index.js';
import { killChildren, run } from '../helpers/run.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
afterAll(killChildren);

interface JsonResult {
  name: string;
  seed: string;
  verdict: Verdict;
  figures: Figure[];
  missing: string | null;
}

describe('sluice scenario', () => {
  it('all: every scenario with seed figure, Sluice figure and a verdict computed from them; the count closes', async () => {
    const json = await run(process.execPath, ['--import', 'tsx', CLI, 'scenario', 'all', '--json'], {
      timeoutMs: 60_000,
    });
    const results = JSON.parse(json.stdout) as JsonResult[];
    expect(results.map((r) => r.name)).toEqual(SCENARIOS.map((s) => s.name));
    for (const r of results) {
      expect(r.seed).toMatch(/^\d{3}_[0-9a-f]+\.txt$/);
      if (r.verdict === 'not runnable') {
        expect(r.missing).toBeTruthy();
        continue;
      }
      expect(r.figures.length).toBeGreaterThan(0);
      // The verdict follows from the printed figures: recompute it here.
      const verdicts = r.figures.map(figureVerdict);
      const expected: Verdict = verdicts.includes('differs')
        ? 'differs'
        : verdicts.includes('seed arithmetic wrong')
          ? 'seed arithmetic wrong'
          : 'reproduced';
      expect({ name: r.name, verdict: r.verdict }).toEqual({ name: r.name, verdict: expected });
    }
    // The incident's table is where the seed's own arithmetic is wrong: Sluice gives 100,000 at T=10s.
    const table = results.find((r) => r.name === 'incident-inflight-table');
    expect(table?.verdict).toBe('seed arithmetic wrong');
    expect(table?.figures[0]).toMatchObject({ seed: 50_000, sluice: 100_000 });

    const text = await run(process.execPath, ['--import', 'tsx', CLI, 'scenario', 'all'], {
      timeoutMs: 60_000,
    });
    const reproduced = results.filter((r) => countsAsReproduced(r.verdict)).length;
    expect(text.stdout.trim().split('\n').at(-1)).toMatch(
      new RegExp(`^${reproduced} of ${results.length} scenarios reproduced`),
    );
    expect(text.stdout).toMatch(/credits low \(100\): the producer stops/);
  });

  it('a figure off by more than its tolerance is not reproduced; one matching the seed’s own inputs is a seed error', () => {
    const base = { what: 'x', seed: 100, sluice: 100 };
    expect(figureVerdict(base)).toBe('reproduced');
    expect(figureVerdict({ ...base, sluice: 103 })).toBe('differs');
    expect(figureVerdict({ ...base, sluice: 200, fromSeedInputs: 200 })).toBe('seed arithmetic wrong');
  });

  it('run <name> names a missing scenario and lists the real ones', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', CLI, 'scenario', 'run', 'nope'], {
      allowFailure: true,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/no scenario "nope".*lab-capacity/);
  });
});
