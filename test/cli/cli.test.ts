import { execFileSync } from 'node:child_process';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, registerCommands } from '../../src/cli/commands/index.js';

const cli = (args: string[]) =>
  execFileSync(process.execPath, ['bin/sluice.js', ...args], { encoding: 'utf8', stdio: 'pipe' });

const registered = async (argv: string[]) => {
  const program = new Command();
  await registerCommands(program, ['node', 'sluice', ...argv]);
  return program.commands.map((c) => c.name());
};

describe('sluice CLI', () => {
  it('prints its version from the built package', () => {
    expect(cli(['--version']).trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('rejects an unknown command with a hint', () => {
    expect(() => cli(['no-such-command'])).toThrow(/unknown command|--help/);
  });

  it('suggests the command a typo was close to', () => {
    expect(() => cli(['monitr'])).toThrow(/Did you mean monitor\?/);
  });

  it('lists every command in its help', () => {
    const help = cli(['--help']);
    for (const name of Object.keys(COMMANDS)) expect(help).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });

  it('loads each command module under the name it registers', async () => {
    for (const name of Object.keys(COMMANDS)) expect(await registered([name, '--help'])).toEqual([name]);
  });

  it('loads only the command it runs, and all of them when it names none', async () => {
    expect(await registered(['monitor', '--port', '0'])).toEqual(['monitor']);
    expect(await registered(['--help'])).toEqual(Object.keys(COMMANDS));
    expect(await registered(['help', 'monitor'])).toEqual(Object.keys(COMMANDS));
    expect(await registered([])).toEqual(Object.keys(COMMANDS));
  });
});
