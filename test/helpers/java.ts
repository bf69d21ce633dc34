import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaTool } from './kafka.js';
import { run } from './run.js';
import type { Tool } from './tools.js';

/**
 * Apache Kafka's Java client and Kafka Streams, driven through the checker in test/java (compiled by
 * test/java/run.sh against the pinned Kafka jars of the rig's cache). Each JVM start costs seconds here, so
 * a caller asks for several checks per run.
 */

const RUN = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'test/java/run.sh');

/** Java, Maven (for the jar cache) and javac (to compile the checks). */
export function javaChecksTool(): Tool {
  const kafka = kafkaTool();
  if (!kafka.available) return { ...kafka, name: 'the Java checks' };
  try {
    execFileSync('javac', ['-version'], { stdio: 'ignore' });
    return { name: 'the Java checks', available: true, detail: 'javac present' };
  } catch (err) {
    return {
      name: 'the Java checks',
      available: false,
      detail: `${(err as Error).message.split('\n')[0]}; run .ci/run (it installs a JDK: default-jdk-headless)`,
    };
  }
}

/** One line of the checker's output: what a check observed, or why it failed. */
export interface CheckResult {
  check: string;
  ok: boolean;
  ms: number;
  // biome-ignore lint/suspicious/noExplicitAny: each check reports its own facts; the suite asserts on them
  facts?: any;
  error?: string;
}

/**
 * Runs `checks` (names from Checks.java) in one JVM against `bootstrap`; topics and groups are named from
 * `prefix`. Resolves with every check's result by name; the JVM's log is kept for failures.
 */
export async function runJavaChecks(
  bootstrap: string,
  prefix: string,
  checks: string[],
): Promise<{ results: Map<string, CheckResult>; log: string; ms: number }> {
  const started = Date.now();
  const out = await run('bash', [RUN, 'Checks', bootstrap, prefix, ...checks], {
    timeoutMs: 240_000,
    allowFailure: true,
  });
  const results = new Map<string, CheckResult>();
  for (const line of out.stdout.split('\n')) {
    if (!line.startsWith('CHECK ')) continue;
    const r = JSON.parse(line.slice('CHECK '.length)) as CheckResult;
    results.set(r.check, r);
  }
  if (out.code !== 0 && results.size === 0) {
    throw new Error(`the Java checks exited with ${out.code ?? out.signal}\n${out.stderr.slice(-4000)}`);
  }
  return { results, log: out.stderr, ms: Date.now() - started };
}

/** What the Streams word count (WordCount.java) reports after its two runs. */
export interface WordCountResult {
  afterFirstRun: Record<string, number>;
  internalTopics: Record<string, { partitions: number; cleanupPolicy: string; retentionMs: string }>;
  restoredOnFirstRun: number;
  afterRestart: Record<string, number>;
  restoredFromChangelog: number;
  store: Record<string, number>;
}

/**
 * Runs the Streams word count as application `appId` over `first`, then restarts it without its local
 * state and feeds it `second`.
 */
export async function runWordCount(
  bootstrap: string,
  appId: string,
  first: string[],
  second: string[],
): Promise<{ result: WordCountResult; ms: number }> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-wordcount-input-'));
  try {
    const files = [first, second].map((lines, i) => {
      const file = join(dir, `input-${i}.txt`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    });
    const out = await run('bash', [RUN, 'WordCount', bootstrap, appId, ...files], { timeoutMs: 180_000 });
    const line = out.stdout.split('\n').find((l) => l.startsWith('WORDCOUNT '));
    if (!line) throw new Error(`the word count printed no result\n${out.stderr.slice(-4000)}`);
    return {
      result: JSON.parse(line.slice('WORDCOUNT '.length)) as WordCountResult,
      ms: Date.now() - started,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One row of Kafka's own error table, as ErrorTable.java prints it from the pinned kafka-clients jar. */
export interface KafkaErrorRow {
  code: number;
  name: string;
  retriable: boolean;
  message: string;
}

/** Kafka's `Errors` enum read from the rig's Kafka jars (one JVM, a few seconds once compiled). */
export async function kafkaErrorTable(): Promise<KafkaErrorRow[]> {
  const tool = javaChecksTool();
  if (!tool.available) throw new Error(`Kafka's error table needs ${tool.name}: ${tool.detail}`);
  const out = await run('bash', [RUN, 'ErrorTable'], { timeoutMs: 240_000 });
  return out.stdout
    .split('\n')
    .filter((line) => /^-?\d+\t/.test(line))
    .map((line) => {
      const [code, name, retriable, message] = line.split('\t');
      return { code: Number(code), name, retriable: retriable === 'true', message };
    });
}
