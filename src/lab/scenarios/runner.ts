import {
  countsAsReproduced,
  figureVerdict,
  type Scenario,
  type ScenarioOutcome,
  scenarioVerdict,
  type Verdict,
} from './types.js';

export interface ScenarioResult {
  scenario: Scenario;
  outcome: ScenarioOutcome | null;
  verdict: Verdict;
}

export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const outcome = scenario.run ? await scenario.run() : null;
  return { scenario, outcome, verdict: scenarioVerdict(outcome) };
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
      const seed =
        f.bound === undefined
          ? fmt(f.seed)
          : `${f.bound === 'above' ? 'more than' : 'less than'} ${fmt(f.seed)}`;
      lines.push(`  ${f.what}: seed ${seed}, Sluice ${fmt(f.sluice)} → ${v}${right}`);
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
    `${by('differs')} ${by('differs') === 1 ? 'differs' : 'differ'}, ${by('not runnable')} not runnable yet`
  );
}
