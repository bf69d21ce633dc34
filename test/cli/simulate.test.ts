import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Runs the built CLI, as a user would (`npm test` builds before running vitest).
const built = existsSync('dist/cli/main.js');
if (!built) console.warn('test/cli/simulate.test.ts: SKIPPED, dist/ is missing: run `npm run build` first');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/sluice.js', 'simulate', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe.skipIf(!built)('sluice simulate (built CLI)', () => {
  it("answers the course module's question with a table, a verdict and a chart", () => {
    const { code, out } = run([
      '--produce',
      '1000',
      '--consume',
      '100',
      '--policy',
      'block',
      '--capacity',
      '10000',
      '--duration',
      '60',
    ]);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toBe(
      'sluice simulate: 1,000 ev/s into a consumer at 100 ev/s; policy block, capacity 10,000; 60 s simulated',
    );
    const row60 = lines.find((l) => /^60 s /.test(l.trim()));
    expect(row60?.trim().split(/\s{2,}/)).toEqual([
      '60 s',
      '16,000',
      '5,999',
      '10,000',
      '0',
      '10,001',
      '54 s',
      '100',
      '9.8 MiB',
    ]);
    // 10,001 beside 10,000 queued, 5,999 consumed at 60 s: the table says what it counts.
    expect(out).toContain('(lag = queued + the event being processed; consumed = events finished)');
    expect(out).toMatch(
      /verdict: queue grows 900 ev\/s: full after 11\.1 s; with block the producer is held to 100 ev\/s/,
    );
    expect(out).toMatch(/queue depth \(events\) over 60 s\n10,000 ┤/);
  });

  it('simulates an hour of the 50% failure case and reports 180,000 behind, as JSON', () => {
    const { code, out } = run([
      '--produce',
      '100',
      '--consume',
      '100',
      '--failure-rate',
      '50%',
      '--failures',
      'even',
      '--policy',
      'buffer',
      '--duration',
      '3600',
      '--json',
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.options).toMatchObject({ failureRate: 0.5, capacity: null, policy: 'buffer' });
    expect(result.rows.at(-1)).toMatchObject({
      timeSec: 3600,
      lag: 180_000,
      consumed: 180_000,
      produced: 360_000,
    });
    expect(result.growthPerSec).toBe(50);
    expect(result.verdict).toMatch(/180,000 behind/);
  });

  it('one retry at 50% (random failures from the default seed): ~120,000 behind, ~25% given up, the same twice', () => {
    const args = ['--produce', '100', '--consume', '100', '--failure-rate', '50%', '--max-retries', '1'];
    const first = run([...args, '--policy', 'buffer', '--duration', '3600', '--json']);
    expect(first.code).toBe(0);
    const a = JSON.parse(first.out);
    expect(
      JSON.parse(run([...args, '--policy', 'buffer', '--duration', '3600', '--json']).out).totals,
    ).toEqual(a.totals);
    expect(Math.abs(a.totals.lag - 120_000) / 120_000).toBeLessThan(0.02);
    const givenUp = a.totals.deadLettered / (a.totals.deadLettered + a.totals.consumed);
    expect(Math.abs(givenUp - 0.25)).toBeLessThan(0.01);
    const text = run([...args, '--policy', 'buffer', '--duration', '3600', '--retry-backoff', '10']).out;
    expect(text).toMatch(/each retry after a 10 ms backoff/);
    expect(text).toMatch(/queue depth \(events\) over 3,600 s/);
  });

  it('--count and --resume-delay', () => {
    const count = run(['--produce', '2', '--processing-ms', '2000', '--count', '20', '--policy', 'buffer']);
    expect(count.code).toBe(0);
    expect(count.out).toMatch(/^sluice simulate: 20 events at 2 ev\/s/);
    expect(count.out).toMatch(/all 20 events handled by 40\.5 s/);
    const stop = run([
      ...['--produce', '150', '--consume', '100', '--policy', 'stop', '--capacity', '1000'],
      ...['--low', '0', '--resume-delay', '2000', '--duration', '120'],
    ]);
    expect(stop.out).toMatch(/each restart of the source takes 2,000 ms: the consumer sat idle [1-9]/);
  });

  it('--policy all prints the four strategies side by side', () => {
    const { code, out } = run(['--produce', '1000', '--consume', '100', '--policy', 'all']);
    expect(code).toBe(0);
    expect(out).toMatch(/policy\s+delivered\s+lost\s+max queued\s+peak memory\s+oldest at end\s+outcome/);
    for (const p of ['block', 'buffer', 'drop', 'sample']) expect(out).toMatch(new RegExp(`^${p}: `, 'm'));
    const json = JSON.parse(run(['--produce', '1000', '--consume', '100', '--policy', 'all', '--json']).out);
    expect(json.map((r: { options: { policy: string } }) => r.options.policy)).toEqual([
      'block',
      'buffer',
      'drop',
      'sample',
    ]);
  });

  it('--policy stop shows the thrashing the book warns about', () => {
    const { code, out } = run([
      '--produce',
      '150',
      '--consume',
      '100',
      '--policy',
      'stop',
      '--capacity',
      '1000',
      '--low',
      '20%',
      '--duration',
      '120',
    ]);
    expect(code).toBe(0);
    expect(out).toMatch(
      /backpressure \(watermarks at 80% \/ 20% of the queue\): first declared at 16 s, \d+ times; thrashing/,
    );
  });

  it('suggests the option meant for a typo instead of calling --produce missing', () => {
    const typo = run(['--prodcue', '1000', '--consume', '100']);
    expect(typo.code).toBe(1);
    expect(typo.err).toContain("unknown option '--prodcue'");
    expect(typo.err).toContain('Did you mean --produce?');
    expect(typo.err).not.toContain('required option');
    const missing = run(['--consume', '100']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("required option '--produce <ev/s>' not specified");
  });

  it('explains bad input and exits non-zero', () => {
    const missing = run(['--produce', '1000']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(
      /say how fast the consumer is: --consume <events\/s> or --processing-ms <ms>/,
    );
    const policy = run(['--produce', '1000', '--consume', '10', '--policy', 'yolo']);
    expect(policy.code).toBe(1);
    expect(policy.err).toMatch(/Allowed choices are block, buffer, drop, sample/);
    const nan = run(['--produce', 'fast', '--consume', '10']);
    expect(nan.err).toMatch(/--produce must be a number/);
    const burst = run(['--produce', '10', '--consume', '10', '--burst-rate', '100']);
    expect(burst.err).toMatch(/needs all three of --burst-rate, --burst-seconds and --burst-every/);
  });
});
