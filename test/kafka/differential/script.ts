import type { BuildBatchOptions } from '../../../src/protocol/record-batch.js';

/**
 * The language differential cases are written in: a case is a list of steps, each one request (API key,
 * version, body) sent over our codec on a named connection. Values that legitimately differ between two
 * brokers are never written literally; they are placeholders the runner fills in per side:
 *
 * - `{{topic}}`, `{{topic:b}}`, `{{group}}`, `{{group:x}}`, `{{instance:x}}`: names with the case's name and
 *   a per-run suffix, so runs and cases never share a topic or a group;
 * - `{{var:name}}`: a value a previous step saved from its response (a member id, a generation id);
 * - `{{t:+5000}}`: a timestamp relative to T0, the run's start (the same number on both sides, so it is
 *   compared like any literal, and close to now so neither retention nor timestamp bounds touch it);
 * - `{ $batch: {...} }`: a record batch v2 built with buildRecordBatch (the same bytes for both sides).
 *
 * A placeholder that is the whole string is replaced by the value itself (a number stays a number).
 */
export interface Step {
  /** Names the step in difference paths and in intended.ts; default `<index> <Api> v<version>`. */
  name?: string;
  apiKey: number;
  version: number;
  body: unknown;
  /**
   * The version written in the request header when it differs from `version` (the body's layout): for
   * versions our codec does not describe, e.g. an ApiVersions request from a future client.
   */
  wireVersion?: number;
  /** The version whose layout the response is decoded with (default `version`). */
  decodeAs?: number;
  /** Connection to send on (default "main"): blocking calls (JoinGroup) need their own. */
  conn?: string;
  /** Send without waiting; a later step `{ await: name }` (or the end of the case) reads the response. */
  async?: boolean;
  /** Variables to save from the response: name → dot path (e.g. `{ m1: 'memberId' }`). */
  save?: Record<string, string>;
  /**
   * Repeat the request while the response has one of `in` at `path` (at most `timeoutMs`, default 10 s),
   * for states either side passes through on its own time (Kafka creating __consumer_offsets, a new
   * partition getting its leader, a rebalance starting). The last response is the one compared.
   */
  retryWhile?: { path: string; in: readonly unknown[]; timeoutMs?: number };
  /**
   * The step expects the broker to close the connection instead of answering (an API key it does not
   * serve): the transcript records `{ closed: true }` or the response that came instead.
   */
  expectClose?: boolean;
}

/** Reads the response of an earlier async step. */
export interface AwaitStep {
  await: string;
}

export type ScriptStep = Step | AwaitStep;

export interface DiffCase {
  /** Unique, kebab-case: the key intended.ts and the placeholders use. */
  name: string;
  /** What the case shows, for the test title. */
  title: string;
  steps: ScriptStep[];
}

export type BatchPlaceholder = { $batch: Omit<BuildBatchOptions, 'timestamp'> & { timestamp?: string } };

export function isAwait(step: ScriptStep): step is AwaitStep {
  return 'await' in step;
}

export function stepName(step: Step, index: number, apiName: (key: number) => string): string {
  return step.name ?? `${index} ${apiName(step.apiKey)} v${step.version}`;
}

/** Reads a dot path (`groups.0.groupState`) from a decoded response. */
export function readPath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
