import type { Command } from 'commander';
import { checkDataDir, formatLogCheck } from '../../broker/storage/log-check.js';

/** `sluice log check <data-dir>`: verifies every stored batch without starting the broker. */
export function register(program: Command): void {
  const log = program.command('log').description("inspect the broker's data directory");
  log
    .command('check')
    .description(
      'verify every record batch (length, magic, CRC-32C, offsets) of every partition; exits 1 on damage',
    )
    .argument('<data-dir>', "the broker's --data-dir")
    .action((dataDir: string) => {
      const check = checkDataDir(dataDir);
      process.stdout.write(`${formatLogCheck(check)}\n`);
      if (!check.ok) process.exitCode = 1;
    });
}
