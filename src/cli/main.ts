import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

const program = new Command();
program
  .name('sluice')
  .description('Backpressure and flow control for event streams')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

registerCommands(program, process.argv)
  .then(() => program.parseAsync(process.argv))
  .catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`sluice: ${message}\n`);
    process.exit(1);
  });
