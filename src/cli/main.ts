import { Command } from 'commander';
import { commands } from './commands/index.js';

const program = new Command();
program
  .name('sluice')
  .description('Backpressure and flow control for event streams')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

for (const register of commands) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`sluice: ${message}\n`);
  process.exit(1);
});
