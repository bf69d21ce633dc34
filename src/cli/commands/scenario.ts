import type { Command } from 'commander';
import {
  countsAsReproduced,
  findScenario,
  renderScenario,
  renderSummary,
  runScenario,
  SCENARIOS,
  type ScenarioResult,
} from '../../lab/scenarios/index.js';

/** `sluice scenario list | run <name> | all`: the seeds' numeric examples, each beside Sluice's figure. */
export function register(program: Command): void {
  const cmd = program
    .command('scenario')
    .description("the seeds' numeric examples run by Sluice: seed figure, Sluice figure, verdict");
  cmd
    .command('list')
    .description('every scenario with its seed and passage')
    .action(() => {
      for (const s of SCENARIOS) console.log(`${s.name.padEnd(26)} ${s.seed.file}  ${s.passage}`);
    });
  cmd
    .command('run <name>')
    .description('runs one scenario')
    .action(async (name: string) => {
      const result = await runScenario(findScenario(name));
      console.log(renderScenario(result));
      process.exitCode = countsAsReproduced(result.verdict) ? 0 : 1;
    });
  cmd
    .command('all')
    .description('runs every scenario; the closing line counts those reproduced')
    .option('--json', 'print the results as JSON')
    .action(async (flags: { json?: boolean }) => {
      const results: ScenarioResult[] = [];
      for (const s of SCENARIOS) results.push(await runScenario(s));
      if (flags.json) {
        console.log(
          JSON.stringify(
            results.map((r) => ({
              name: r.scenario.name,
              seed: r.scenario.seed.file,
              passage: r.scenario.passage,
              verdict: r.verdict,
              figures: r.outcome?.figures ?? [],
              missing: r.scenario.missing ?? null,
            })),
            null,
            2,
          ),
        );
        return;
      }
      for (const r of results) console.log(`${renderScenario(r)}\n`);
      console.log(renderSummary(results));
    });
}
