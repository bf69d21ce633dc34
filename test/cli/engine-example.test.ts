import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { compareStrategies } from '../../src/engine/examples/fraud-detection.js';
import type { Strategy } from '../../src/engine/types.js';
import { waitFor } from '../helpers/burrow.js';
import { killChildren, run } from '../helpers/run.js';

/**
 * `sluice engine example fraud` shows its work as it goes: the header at once, each strategy's row as
 * that strategy finishes, and a progress bar while one runs when stderr is a terminal.
 */

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;

afterAll(() => killChildren());

describe('engine example progress', () => {
  it("reports each strategy's progress, then its outcome, before the next strategy starts", async () => {
    const events: string[] = [];
    await compareStrategies({
      strategies: ['drop', 'propagate'],
      durationMs: 2_000,
      onProgress: (s: Strategy, done: number) => {
        if (done === 1 || events.at(-1)?.startsWith(`progress ${s}`) !== true) events.push(`progress ${s}`);
      },
      onOutcome: (o) => events.push(`outcome ${o.strategy}`),
    });
    expect(events).toEqual([
      'progress drop',
      'progress drop',
      'outcome drop',
      'progress propagate',
      'progress propagate',
      'outcome propagate',
    ]);
  });

  it('prints the header at once and each row as its strategy finishes', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        'engine',
        'example',
        'fraud',
        '--duration',
        '120',
        '--strategies',
        'drop,sample',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor('the table header', async () => /^strategy +throughput/m.test(out) || undefined, 30_000);
      // Nothing has finished yet: the header did not wait for the runs.
      expect(out).not.toMatch(/^drop /m);
      await waitFor("drop's row", async () => /^drop +\d/m.test(out) || undefined, 60_000);
      // sample's row comes later, from its own run: drop's was printed without waiting for it.
      expect(out).not.toMatch(/^sample +\d/m);
      expect(await exited).toBe(0);
      expect(out).toMatch(/^sample +\d/m);
      expect(out).toContain('mean queue depth of score-aggregator#1 over the run');
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);

  it('draws a progress bar on a terminal and nothing of it into a pipe', async () => {
    const args = [
      '--import',
      'tsx',
      CLI,
      'engine',
      'example',
      'fraud',
      '--duration',
      '5',
      '--strategies',
      'drop',
    ];
    // script(1) gives the command a pseudo-terminal, as a person's shell does.
    const tty = await run('script', ['-qec', [process.execPath, ...args].join(' '), '/dev/null']);
    expect(tty.stdout).toMatch(/\r {2}drop +\[#{30}\] 100%/);
    const piped = await run(process.execPath, args);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).not.toContain('[#');
  }, 60_000);
});
