import { CHAPTER_SCENARIOS } from './chapter.js';
import { INCIDENT_SCENARIOS } from './incident.js';
import { LAB_SCENARIOS } from './lab.js';
import { LESSON_SCENARIOS } from './lesson.js';
import { MODULE_SCENARIOS } from './module.js';
import type { Scenario } from './types.js';

export * from './runner.js';
export * from './types.js';

/** Every scenario, seed by seed in the order the seeds are numbered. */
export const SCENARIOS: Scenario[] = [
  ...MODULE_SCENARIOS,
  ...LAB_SCENARIOS,
  ...INCIDENT_SCENARIOS,
  ...LESSON_SCENARIOS,
  ...CHAPTER_SCENARIOS,
];

export function findScenario(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) {
    throw new Error(
      `no scenario "${name}"; \`sluice scenario list\` names them: ${SCENARIOS.map((x) => x.name).join(', ')}`,
    );
  }
  return s;
}
