/**
 * `npm run bench`: runs every `bench:*` script of package.json one after another (never in parallel:
 * benchmarks sharing two cores would measure each other), prints a header before each so progress is
 * visible, and ends with a summary of what ran, how it ended and how long it took. A failing bench does
 * not stop the others; the exit code says whether all passed. Each header and each ending line carries the
 * UTC time and the load average, so every table in docs/benchmarks.md can say when and how quiet its run was.
 *
 *   npm run bench                      every bench:* script
 *   npm run bench -- flow storage      only bench:flow and bench:storage
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Outcome {
  script: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  seconds: number;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts?: Record<string, string>;
};
const all = Object.keys(pkg.scripts ?? {}).filter((name) => name.startsWith('bench:'));
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(`bench:${w}`) && !all.includes(w));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; available: ${all.map((s) => s.slice(6)).join(', ')}`);
  process.exit(2);
}
const scripts =
  wanted.length === 0 ? all : all.filter((s) => wanted.includes(s) || wanted.includes(s.slice(6)));

function run(script: string): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], { cwd: root, stdio: 'inherit' });
    const done = (exitCode: number | null, signal: NodeJS.Signals | null) =>
      resolve({ script, exitCode, signal, seconds: (performance.now() - started) / 1000 });
    child.once('error', (err) => {
      console.error(`cannot start ${script}: ${err.message}`);
      done(127, null);
    });
    child.once('exit', done);
  });
}

const outcomes: Outcome[] = [];
const began = performance.now();
for (const [i, script] of scripts.entries()) {
  const rule = '='.repeat(72);
  console.log(`\n${rule}\n[${i + 1}/${scripts.length}] ${script}: ${pkg.scripts?.[script]}`);
  console.log(`started ${when()}\n${rule}`);
  const outcome = await run(script);
  outcomes.push(outcome);
  console.log(`--- ${script} ${status(outcome)} in ${outcome.seconds.toFixed(1)} s, ended ${when()}`);
}

/** "2026-12-04 14:21 UTC, load average 2.69 1.81 0.86" (1, 5 and 15 minutes). */
function when(): string {
  const utc = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return `${utc} UTC, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

function status(o: Outcome): string {
  if (o.signal) return `killed by ${o.signal}`;
  return o.exitCode === 0 ? 'ok' : `failed (exit ${o.exitCode})`;
}

const width = Math.max(...outcomes.map((o) => o.script.length), 'bench'.length);
console.log(
  `\nSummary (${outcomes.length} benches, ${((performance.now() - began) / 1000).toFixed(1)} s in all)`,
);
console.log(`${'bench'.padEnd(width)}  ${'result'.padEnd(18)}  seconds`);
for (const o of outcomes) {
  console.log(`${o.script.padEnd(width)}  ${status(o).padEnd(18)}  ${o.seconds.toFixed(1).padStart(7)}`);
}
const failed = outcomes.filter((o) => o.exitCode !== 0 || o.signal);
if (failed.length > 0) {
  console.log(`\n${failed.length} failed: ${failed.map((o) => o.script).join(', ')}`);
  process.exitCode = 1;
}
