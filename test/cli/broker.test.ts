import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../helpers/run.js';
import { WireClient } from '../helpers/wire-client.js';

// Runs the built CLI (npm test builds first), as the crash tests and benchmarks will: a child
// process that prints its bound port on the banner's first line.
const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function startCli(
  args: string[],
): Promise<{ child: ChildProcessWithoutNullStreams; port: number; output: () => string }> {
  const child = spawn(process.execPath, ['bin/sluice.js', 'broker', ...args], {
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 15 s:\n${out}`)), 15_000);
    const check = () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), output: () => out });
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => reject(new Error(`broker exited with ${code}:\n${out}`)));
  });
}

describe('sluice broker (CLI)', () => {
  it('starts on a free port with a banner, serves clients, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    dirs.push(dir);
    const { child, port, output } = await startCli([
      '--port',
      '0',
      '--data-dir',
      dir,
      '--durability',
      'sync',
      '--partitions',
      '2',
      '--quota-records',
      '1000',
      '--quota-mode',
      'reject',
    ]);
    expect(output()).toMatch(/durability\s+sync/);
    expect(output()).toMatch(/auto-create\s+on, 2 partition\(s\)/);
    expect(output()).toMatch(/quotas\s+1000 records\/s per partition, mode reject/);
    const c = await WireClient.open(port);
    const meta = await c.request(3, 4, { topics: [{ name: 'from-cli' }], allowAutoTopicCreation: true });
    expect(meta.topics[0].partitions).toHaveLength(2);
    c.close();
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toMatch(/stopped cleanly/);

    // Restarted on the same directory, it finds the topic again and says so.
    const again = await startCli(['--port', '0', '--data-dir', dir]);
    // (Other topics, such as the group coordinator's __consumer_offsets, may be listed too.)
    expect(again.output()).toMatch(/topics\s+\d+: .*\bfrom-cli\(2\)/);
    expect(again.output()).toMatch(/recovery\s+\d+ partition\(s\) loaded, all shut down cleanly/);
  });

  it('rejects bad options with a message saying what is wrong', async () => {
    const bad = await run(process.execPath, ['bin/sluice.js', 'broker', '--durability', 'eventually'], {
      allowFailure: true,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--durability.*eventually.*memory, async, sync/s);
    const port = await run(process.execPath, ['bin/sluice.js', 'broker', '--port', 'abc'], {
      allowFailure: true,
    });
    expect(port.stderr).toMatch(/--port must be a whole number from 0 to \d+ \(got "abc"\)/);
    const range = await run(process.execPath, ['bin/sluice.js', 'broker', '--port', '99999'], {
      allowFailure: true,
    });
    expect(range.stderr).toMatch(/--port must be a whole number from 0 to 65535 \(got "99999"\)/);
    const mode = await run(process.execPath, ['bin/sluice.js', 'broker', '--quota-mode', 'reject'], {
      allowFailure: true,
    });
    expect(mode.stderr).toMatch(/--quota-mode needs a limit/);
  });
});
