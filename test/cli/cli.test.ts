import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const cli = (args: string[]) =>
  execFileSync(process.execPath, ['bin/sluice.js', ...args], { encoding: 'utf8', stdio: 'pipe' });

describe('sluice CLI', () => {
  it('prints its version from the built package', () => {
    expect(cli(['--version']).trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('rejects an unknown command with a hint', () => {
    expect(() => cli(['no-such-command'])).toThrow(/unknown command|--help/);
  });
});
