import type { Command } from 'commander';
import { startMonitorService } from '../../lab/monitor-service.js';
import { preferSmallHeap } from '../../monitor/small-heap.js';
import {
  addClientSecurityOptions,
  addServiceOptions,
  clientSecurity,
  gracePeriodOption,
  integer,
  type ServiceFlags,
  serviceHttp,
} from '../options.js';
import { stepTimeoutMs, untilSignal } from './shutdown.js';

interface MonitorFlags extends ServiceFlags {
  intervalMs: number;
  criticalLag: number;
  warningRate: number;
  group?: string[];
  smallHeap: boolean;
}

/** `sluice monitor`: the lab's lag monitor service alone (JSON API, Prometheus metrics, events, dashboard). */
export function register(program: Command): void {
  const command = program
    .command('monitor')
    .description(
      'the lag monitor service (GET /lag, /lag/history, /alerts, /status, /recommendations, /metrics, /events)',
    );
  addServiceOptions(command, 8010)
    .option('--interval-ms <n>', 'collection period', integer('--interval-ms', 50, 600_000), 2000)
    .option(
      '--critical-lag <n>',
      'total lag above which a group is critical',
      integer('--critical-lag', 0),
      500,
    )
    .option(
      '--warning-rate <n>',
      'lag growth (orders/s) above which a group is a warning',
      integer('--warning-rate', 0),
      10,
    )
    .option('--group <regex...>', 'only watch groups matching (default: all)')
    .option(
      '--no-small-heap',
      "keep V8's default heap sizing: shorter cycles, about 50 MB more resident at 10,000 partitions",
    )
    .addOption(gracePeriodOption())
    .action(async (flags: MonitorFlags) => {
      if (flags.smallHeap) preferSmallHeap();
      const service = await startMonitorService({
        brokers: flags.brokers,
        security: clientSecurity(flags),
        intervalMs: flags.intervalMs,
        thresholds: { criticalLag: flags.criticalLag, warningRate: flags.warningRate },
        includeGroups: flags.group,
        http: serviceHttp(flags),
      });
      untilSignal(
        'sluice monitor',
        async () => {
          const { finished } = await service.close(stepTimeoutMs(flags.gracePeriod));
          if (!finished)
            return {
              gaveUp: `the last lag collection did not finish within ${stepTimeoutMs(flags.gracePeriod)} ms (broker unreachable?)`,
            };
        },
        flags.gracePeriod,
      );
      // Printed once the signal handlers are in: a script that signals on the banner is never too early.
      process.stdout.write(`sluice monitor: ${service.url} watching ${flags.brokers.join(',')}\n`);
    });
  addClientSecurityOptions(command);
}
