import type { Command } from 'commander';

/** Each command module exports a `register(program)`; one line here per command keeps main.ts stable. */
export type RegisterCommand = (program: Command) => void;

/**
 * The commands by the name each registers, in the order `sluice --help` lists them. Loaded on demand:
 * a command's module imports what it runs (the broker, fastify, the engine...), so `sluice monitor`
 * loading all thirteen held about 20 MB more resident memory than loading its own
 * (`npm run bench:monitor`, docs/benchmarks.md).
 */
export const COMMANDS: Record<string, () => Promise<{ register: RegisterCommand }>> = {
  broker: () => import('./broker.js'), // sluice broker (src/broker)
  simulate: () => import('./simulate.js'), // sluice simulate (src/flow/simulation)
  engine: () => import('./engine.js'), // sluice engine (src/engine)
  lab: () => import('./lab.js'), // sluice lab, sluice lab scale (src/lab)
  load: () => import('./load.js'), // sluice load (src/lab/load.ts)
  producer: () => import('./producer.js'), // sluice producer (src/lab)
  consumer: () => import('./consumer.js'), // sluice consumer (src/lab)
  monitor: () => import('./monitor.js'), // sluice monitor (src/lab)
  lag: () => import('./lag.js'), // sluice lag (src/monitor)
  dlq: () => import('./dlq.js'), // sluice dlq list|show|replay (src/consumer/dead-letters.ts)
  scenario: () => import('./scenario.js'), // sluice scenario list|run|all (src/lab/scenarios/)
  topic: () => import('./topic.js'), // sluice topic describe|alter (src/client/admin.ts)
  log: () => import('./log.js'), // sluice log check (src/broker/storage/log-check.ts)
};

/**
 * Registers the command `argv` names, or every command when it names none of them (`--help`, `help`,
 * `--version`, a typo commander should answer with "did you mean").
 */
export async function registerCommands(program: Command, argv: string[]): Promise<void> {
  const name = argv[2];
  const wanted =
    name !== undefined && Object.hasOwn(COMMANDS, name) ? [COMMANDS[name]] : Object.values(COMMANDS);
  for (const load of wanted) (await load()).register(program);
}
