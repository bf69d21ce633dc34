/**
 * Kafka Streams exactly_once_v2 across a kill -9 of the Streams process, on the embedded broker
 * (test/crash/streams-eos.test.ts) and on the rig's Kafka cluster (test/kafka/streams-eos.test.ts): a
 * word count (test/java's EosWordCount, no record cache, so every count update reaches the output) is
 * killed with SIGKILL while it is mid-input and started again on the same state directory. A
 * read_committed reader of the output must then see each word's updates as 1, 2, … n: a repeated count
 * is a duplicate (an aborted transaction's output, or work redone and committed twice), a gap a loss,
 * and the last update must equal the word's count in the input.
 * ~20 s per target (three JVM starts); SLUICE_STREAMS_CRASH_LINES makes a longer input.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { JAVA_RUN } from '../helpers/java.js';
import { run } from '../helpers/run.js';
import { type Target, uniqueName } from '../helpers/targets.js';

const LINES = Number(process.env.SLUICE_STREAMS_CRASH_LINES ?? 1500);
const VOCABULARY = Array.from({ length: 25 }, (_, i) => `w${i}`);

const dirs: string[] = [];
const jvms = new Set<ChildProcess>();

/** Lines of four words each, every word of the vocabulary used in turn. */
function inputLines(): string[] {
  return Array.from({ length: LINES }, (_, i) =>
    [0, 1, 2, 3].map((k) => VOCABULARY[(i * 4 + k) % VOCABULARY.length]).join(' '),
  );
}

function expectedCounts(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of lines.flatMap((l) => l.split(' '))) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** Starts the Streams application; `onLine` gets each line it prints. */
function startStreams(
  bootstrap: string,
  app: string,
  stateDir: string,
  onLine: (line: string) => void,
): ChildProcess {
  const jvm = spawn('bash', [JAVA_RUN, 'EosWordCount', 'run', bootstrap, app, stateDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  jvms.add(jvm);
  let buffered = '';
  jvm.stdout?.on('data', (d: Buffer) => {
    buffered += d.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  });
  jvm.stderr?.resume();
  return jvm;
}

/** Starts the Streams application; resolves with the JVM once it has processed `words` words. */
function processedUntil(
  bootstrap: string,
  app: string,
  stateDir: string,
  words: number,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Streams did not process ${words} words in 120 s`)),
      120_000,
    );
    const jvm = startStreams(bootstrap, app, stateDir, (line) => {
      const m = /^processed (\d+)/.exec(line);
      if (m && Number(m[1]) >= words) {
        clearTimeout(timer);
        resolve(jvm);
      }
    });
    jvm.on('exit', (code) => reject(new Error(`Streams exited early (${code})`)));
  });
}

/** Registered inside describeWithTools(…, [javaChecksTool()]) by both files. */
export function streamsEosSuite(target: Target): void {
  afterAll(() => {
    for (const j of jvms) j.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('read_committed, every word counts 1, 2, … n once: no duplicate, no gap', async () => {
    const bootstrap = target().bootstrap;
    const app = uniqueName('eos-wordcount');
    const dir = mkdtempSync(path.join(tmpdir(), 'sluice-streams-eos-'));
    dirs.push(dir);
    const lines = inputLines();
    const expected = expectedCounts(lines);
    const totalWords = LINES * 4;
    writeFileSync(path.join(dir, 'input.txt'), `${lines.join('\n')}\n`);
    await run('bash', [JAVA_RUN, 'EosWordCount', 'produce', bootstrap, app, path.join(dir, 'input.txt')], {
      timeoutMs: 120_000,
    });
    const state = path.join(dir, 'state');
    const first = await processedUntil(bootstrap, app, state, Math.floor(totalWords / 3));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const second = await processedUntil(bootstrap, app, state, 1);
    const { stdout } = await run(
      'bash',
      [JAVA_RUN, 'EosWordCount', 'read', bootstrap, app, String(totalWords)],
      { timeoutMs: 120_000 },
    );
    second.kill('SIGKILL');
    const line = stdout.split('\n').find((l) => l.startsWith('EOSCOUNTS '));
    const read: { committed: Record<string, number[]>; uncommittedRecords: number } = JSON.parse(
      line?.slice('EOSCOUNTS '.length) ?? '{"committed":{}}',
    );
    const updates = read.committed;
    let duplicates = 0;
    let gaps = 0;
    for (const counts of Object.values(updates)) {
      for (let i = 1; i < counts.length; i++) {
        if (counts[i] <= counts[i - 1]) duplicates++;
        else if (counts[i] > counts[i - 1] + 1) gaps++;
      }
    }
    const outputs = Object.values(updates).reduce((n, c) => n + c.length, 0);
    console.log(
      `[streams eos crash, ${target().label}] ${LINES} lines, ${totalWords} words, 1 kill -9 of Streams: ${outputs} count updates read_committed (${outputs - totalWords} beyond the input's words), ${duplicates} repeated, ${gaps} gaps; read_uncommitted ${read.uncommittedRecords} (aborted by the kill: ${read.uncommittedRecords - outputs})`,
    );
    expect({ outputs, duplicates, gaps }).toEqual({ outputs: totalWords, duplicates: 0, gaps: 0 });
    const finals = Object.fromEntries(Object.entries(updates).map(([w, c]) => [w, c[c.length - 1]]));
    expect(finals).toEqual(Object.fromEntries(expected));
    for (const counts of Object.values(updates)) expect(counts[0]).toBe(1);
  }, 400_000);
}
