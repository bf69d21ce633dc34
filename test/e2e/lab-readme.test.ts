import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { get, type LabProcess, ROOT, spawnSluice, startOnSomeBasePort, until } from '../lab/helpers.js';

/**
 * A fresh clone, following only the README's first command, gets a working lab. The clone is of this
 * repository's HEAD (commit first); ports come from the environment so the test never collides.
 *
 * One substitution, said out loud: `npm ci` would download every dependency again (no network here,
 * and minutes on two cores), so the clone gets a symlink to this checkout's node_modules instead,
 * which `npm ci` built from the same package-lock.json. Every other step runs as the README writes it.
 */

let dir: string | undefined;
let lab: LabProcess | undefined;

afterAll(async () => {
  await lab?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

function isGitCheckout(): boolean {
  try {
    execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const canClone = isGitCheckout();
if (!canClone) {
  const msg = `lab-readme: ${ROOT} is not a git checkout with a commit (or git is missing); cannot clone it`;
  if (process.env.CI) throw new Error(msg);
  console.warn(`\n*** SKIPPED: ${msg} ***\n`);
}

function firstCommand(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```(?:sh|bash)\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```sh block');
  return block[1].split('\n')[0].trim();
}

describe.skipIf(!canClone)("README's first command on a fresh clone", () => {
  it('installs, builds and runs the lab: producer, consumer and monitor answer /health', async () => {
    const command = firstCommand();
    const steps = command.split('&&').map((s) => s.trim());
    expect(steps[0]).toBe('npm ci');
    expect(steps.at(-1)).toMatch(/^node bin\/sluice\.js lab\b/);

    dir = mkdtempSync(join(tmpdir(), 'sluice-clone-'));
    const clone = join(dir, 'sluice');
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone], { stdio: 'pipe' });
    expect(existsSync(join(clone, 'package-lock.json'))).toBe(true);
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    for (const step of steps.slice(1, -1)) execSync(step, { cwd: clone, stdio: 'pipe', timeout: 180_000 });

    const args = steps.at(-1)!.split(/\s+/).slice(2); // after "node bin/sluice.js"
    // The README's command as written, on a base port of its own (the environment sets it: the command
    // line stays the README's); a port taken meanwhile means another base, not a failure.
    const { base, started } = await startOnSomeBasePort((b) =>
      spawnSluice(args, {
        cwd: clone,
        bin: join(clone, 'bin', 'sluice.js'),
        env: { SLUICE_LAB_BASE_PORT: String(b), SLUICE_BROKER_PORT: '0' },
        timeoutMs: 60_000,
      }),
    );
    lab = started;
    const urls = [base, base + 1, base + 10].map((p) => `http://127.0.0.1:${p}/health`);
    for (const url of urls) {
      const h = await until(url, async () => {
        const r = await get(url);
        return r.status === 200 ? r.body : undefined;
      });
      expect(h.status).toBe('healthy');
    }
    // Not --memory: the broker keeps its logs in ./.sluice of the clone, as the design says.
    expect(existsSync(join(clone, '.sluice'))).toBe(true);
    const code = await lab.stop();
    expect(code, lab.output()).toBe(0);
    expect(lab.output()).toContain('stopped cleanly');
    lab = undefined;
  }, 240_000);
});
