import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClientSecurity } from '../../client/security.js';
import type { RunOptions } from '../engine.js';
import { Job, type JobGraph } from '../job.js';

/** What `sluice engine run` hands the job module's factory. */
export interface EngineJobContext {
  /** Bootstrap brokers from --brokers. */
  brokers: string[];
  /**
   * TLS/SASL settings from the security flags, properties file or SLUICE_* environment (undefined for
   * PLAINTEXT): hand them to every Kafka source and sink as `clusterOptions: { security }`.
   */
  security?: ClientSecurity;
  /** The job's consumer group from --group: every Kafka source of the job joins it. */
  groupId: string;
  /** `--param key=value` pairs, for the job's own settings (topics, costs...). */
  params: Record<string, string>;
}

/** A job module's answer: the job, and the run options it wants (the command line's --strategy wins). */
export interface EngineJobDefinition {
  job: Job | JobGraph;
  run?: Omit<RunOptions, 'clock'>;
}

/** The default export of a job module. */
export type EngineJobFactory = (
  ctx: EngineJobContext,
) => EngineJobDefinition | Job | JobGraph | Promise<EngineJobDefinition | Job | JobGraph>;

/**
 * Loads a job module (compiled JS, or TypeScript through tsx) and returns its default export, the job
 * factory. Errors say what the module should look like.
 */
export async function loadJobModule(path: string): Promise<EngineJobFactory> {
  const file = isAbsolute(path) ? path : resolve(process.cwd(), path);
  const url = pathToFileURL(file).href;
  let mod: { default?: unknown };
  if (/\.(ts|mts|cts|tsx)$/.test(file)) {
    let tsImport: (specifier: string, parent: string) => Promise<{ default?: unknown }>;
    try {
      ({ tsImport } = await import('tsx/esm/api'));
    } catch {
      throw new Error(
        `${path}: a TypeScript job module needs tsx (npm install tsx), or compile it and pass the .js file`,
      );
    }
    mod = await tsImport(url, import.meta.url);
  } else {
    mod = await import(url);
  }
  const factory = mod.default;
  if (typeof factory !== 'function') {
    throw new Error(
      `${path}: the job module must export default a function (ctx) => Job | { job, run }; ` +
        'see docs/engine.md "Running a job on Kafka"',
    );
  }
  return factory as EngineJobFactory;
}

/** Calls the factory and normalises what it returned into a built graph and run options. */
export async function resolveJob(
  factory: EngineJobFactory,
  ctx: EngineJobContext,
): Promise<{ graph: JobGraph; run: Omit<RunOptions, 'clock'> }> {
  const answer = await factory(ctx);
  const definition: EngineJobDefinition =
    answer instanceof Job || isGraph(answer) ? { job: answer } : (answer as EngineJobDefinition);
  if (!definition?.job) {
    throw new Error('the job factory returned neither a Job nor { job, run }; return the Job you built');
  }
  const graph = definition.job instanceof Job ? definition.job.build() : definition.job;
  return { graph, run: definition.run ?? {} };
}

function isGraph(x: unknown): x is JobGraph {
  return typeof x === 'object' && x !== null && 'components' in x && 'edges' in x;
}
