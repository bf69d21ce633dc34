import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  countsAsReproduced,
  figureVerdict,
  renderScenario,
  renderSummary,
  runScenario,
  SCENARIOS,
  type ScenarioResult,
  SEEDS,
  type Verdict,
} from '../../src/lab/scenarios/index.js';
import { killChildren, run } from '../helpers/run.js';

// The simulator, wrapped so a test can make it fail or run every scenario on slower rates: the figures
// must follow what it computes.
const sim = vi.hoisted(() => ({ mode: 'plain' as 'plain' | 'slower' | 'broken' }));
vi.mock('../../src/flow/simulation/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/flow/simulation/index.js')>();
  return {
    ...real,
    simulate: (o: Parameters<typeof real.simulate>[0]) => {
      if (sim.mode === 'broken') throw new Error('simulator unavailable');
      if (sim.mode === 'plain') return real.simulate(o);
      return real.simulate({
        ...o,
        produceRate: o.produceRate * 0.95,
        consumeRate: o.consumeRate === undefined ? undefined : o.consumeRate * 0.8,
        processingMs: o.processingMs === undefined ? undefined : o.processingMs * 1.25,
      });
    },
  };
});

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
afterAll(killChildren);

/** Scenarios that do not run the simulator: credit traces (flow primitives, the consumer runtime), the broker (configs, quotas), the engine. */
const NOT_SIMULATED = new Set([
  'chapter-slow-instance',
  'incident-credits',
  'lesson-poll-limit',
  'lesson-runtime-loop',
  'module-quota-reject',
  'module-retention',
]);

const results = new Map<string, ScenarioResult>();
async function runAll(): Promise<Map<string, ScenarioResult>> {
  if (results.size === 0) for (const s of SCENARIOS) results.set(s.name, await runScenario(s));
  return results;
}
const figure = (name: string, what: RegExp) => {
  const f = results.get(name)?.outcome?.figures.find((x) => what.test(x.what));
  if (!f) throw new Error(`${name} has no figure matching ${what}`);
  return f;
};

describe('sluice scenario', () => {
  it('every scenario names its seed; each verdict follows from its figures', async () => {
    await runAll();
    expect(new Set(SCENARIOS.map((s) => s.name)).size).toBe(SCENARIOS.length);
    for (const seed of Object.values(SEEDS)) {
      expect(SCENARIOS.filter((s) => s.seed === seed).length).toBeGreaterThanOrEqual(5);
    }
    for (const r of results.values()) {
      if (!r.outcome) {
        expect(r.verdict).toBe('not runnable');
        expect(r.scenario.missing).toBeTruthy();
        continue;
      }
      expect(r.outcome.figures.length).toBeGreaterThan(0);
      for (const f of r.outcome.figures) expect(Number.isFinite(f.sluice)).toBe(true);
      const verdicts = r.outcome.figures.map(figureVerdict);
      const expected: Verdict = verdicts.includes('differs')
        ? 'differs'
        : verdicts.includes('seed arithmetic wrong')
          ? 'seed arithmetic wrong'
          : 'reproduced';
      expect({ name: r.scenario.name, verdict: r.verdict }).toEqual({
        name: r.scenario.name,
        verdict: expected,
      });
    }
  });

  it('key figures: one retry, the retry cascade, fixed counts, the resume delay, the seeds’ own errors', async () => {
    await runAll();
    // One retry at 50%: ~120,000 behind, which is what the seed's inputs give; the seed says 180,000.
    const once = figure('module-retries-once', /behind after 1 hour/);
    expect(Math.abs(once.sluice - 120_000) / 120_000).toBeLessThan(0.02);
    expect(results.get('module-retries-once')?.verdict).toBe('seed arithmetic wrong');
    expect(results.get('module-retries-once')?.outcome?.note).toMatch(/\(2[45]\.\d% here, dead-lettered\)/);
    // Retried until success, the seed's 180,000 holds.
    expect(results.get('module-retries')?.verdict).toBe('reproduced');
    // Retries that cost time make the lag grow faster than the seed's 50/s, and the trace draws both curves.
    expect(figure('module-retry-cascade', /lag growth/).sluice).toBeGreaterThan(60);
    expect(results.get('module-retry-cascade')?.outcome?.trace?.join('\n')).toMatch(/┤.*█/);
    expect(figure('module-fixed-count', /seconds to send/).sluice).toBe(10);
    expect(figure('chapter-stop-resume', /low watermark of 0/).sluice).toBeGreaterThan(1);
    expect(figure('chapter-stop-resume', /low watermark of 50%/).sluice).toBe(0);
    expect(figure('incident-inflight-table', /produced by T=10s/)).toMatchObject({
      seed: 50_000,
      sluice: 100_000,
    });
    expect(results.get('incident-table-rates')?.verdict).toBe('seed arithmetic wrong');
    // Exercise 7's burst peaks under its threshold: the one scenario that honestly differs from the lab's text.
    expect(figure('lab-burst-threshold', /peak lag/).sluice).toBeLessThan(500);
    const rendered = renderScenario(results.get('incident-credits')!);
    expect(rendered).toMatch(/credits low \(100\): the producer stops/);
    expect(renderScenario(results.get('module-retry-cascade')!)).toMatch(
      /seed more than 50, Sluice 66\.67 → reproduced/,
    );
  });

  it('the figures come from the simulator: broken, the scenarios fail; slower, their figures move', async () => {
    const plain = await runAll();
    const simulated = SCENARIOS.filter((s) => s.run && !NOT_SIMULATED.has(s.name));
    sim.mode = 'broken';
    try {
      for (const s of simulated)
        await expect(runScenario(s), s.name).rejects.toThrow(/simulator unavailable/);
      sim.mode = 'slower';
      // A stopped instance stays stopped at any rate: its figures are the declaration count and state.
      for (const s of simulated.filter((x) => x.name !== 'chapter-stopped-instance')) {
        const slower = (await runScenario(s)).outcome!.figures.map((f) => f.sluice);
        expect(slower, s.name).not.toEqual(plain.get(s.name)!.outcome!.figures.map((f) => f.sluice));
      }
    } finally {
      sim.mode = 'plain';
    }
  });

  it('all: prints every scenario with its verdict and closes with the count reproduced', async () => {
    await runAll();
    const text = await run(process.execPath, ['--import', 'tsx', CLI, 'scenario', 'all'], {
      timeoutMs: 90_000,
    });
    for (const s of SCENARIOS) expect(text.stdout).toContain(`${s.name} — ${s.seed.title}`);
    const all = [...results.values()];
    const reproduced = all.filter((r) => countsAsReproduced(r.verdict)).length;
    expect(text.stdout.trim().split('\n').at(-1)).toBe(renderSummary(all));
    expect(renderSummary(all)).toMatch(
      new RegExp(`^${reproduced} of ${SCENARIOS.length} scenarios reproduced`),
    );
  });

  it('a figure off by more than its tolerance is not reproduced; one matching the seed’s own inputs is a seed error; bounds', () => {
    const base = { what: 'x', seed: 100, sluice: 100 };
    expect(figureVerdict(base)).toBe('reproduced');
    expect(figureVerdict({ ...base, sluice: 103 })).toBe('differs');
    expect(figureVerdict({ ...base, sluice: 200, fromSeedInputs: 200 })).toBe('seed arithmetic wrong');
    expect(figureVerdict({ ...base, sluice: 150, bound: 'above' })).toBe('reproduced');
    expect(figureVerdict({ ...base, sluice: 100, bound: 'above' })).toBe('differs');
    expect(figureVerdict({ ...base, sluice: 99, bound: 'below' })).toBe('reproduced');
  });

  it('docs/lab.md lists every scenario and today’s count', async () => {
    await runAll();
    const docs = readFileSync(new URL('../../docs/lab.md', import.meta.url), 'utf8');
    for (const s of SCENARIOS) expect(docs, s.name).toContain(`\`${s.name}\``);
    expect(docs).toContain(renderSummary([...results.values()]));
  });

  it('run <name> names a missing scenario and lists the real ones', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', CLI, 'scenario', 'run', 'nope'], {
      allowFailure: true,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/no scenario "nope".*module-no-backpressure/);
  });
});
