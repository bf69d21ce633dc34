import type { Command } from 'commander';
import { register as broker } from './broker.js';
import { register as consumer } from './consumer.js';
import { register as dlq } from './dlq.js';
import { register as engine } from './engine.js';
import { register as lab } from './lab.js';
import { register as lag } from './lag.js';
import { register as load } from './load.js';
import { register as log } from './log.js';
import { register as monitor } from './monitor.js';
import { register as producer } from './producer.js';
import { register as scenario } from './scenario.js';
import { register as simulate } from './simulate.js';
import { register as topic } from './topic.js';

/** Each command module exports a `register(program)`; one line here per command keeps main.ts stable. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  broker, // sluice broker (src/broker)
  simulate, // sluice simulate (src/flow/simulation)
  engine, // sluice engine (src/engine)
  lab, // sluice lab, sluice lab scale (src/lab)
  load, // sluice load (src/lab/load.ts)
  producer, // sluice producer (src/lab)
  consumer, // sluice consumer (src/lab)
  monitor, // sluice monitor (src/lab)
  lag, // sluice lag (src/monitor)
  dlq, // sluice dlq list|show|replay (src/consumer/dead-letters.ts)
  scenario, // sluice scenario list|run|all (src/lab/scenarios/)
  topic, // sluice topic describe|alter (src/client/admin.ts)
  log, // sluice log check (src/broker/storage/log-check.ts)
];
