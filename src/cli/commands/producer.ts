import type { Command } from 'commander';
import { groupSignals } from '../../lab/lab.js';
import { startProducerService } from '../../lab/producer-service.js';
import { LagMonitor } from '../../monitor/monitor.js';
import {
  addClientSecurityOptions,
  addServiceOptions,
  clientSecurity,
  gracePeriodOption,
  integer,
  otlpEndpointOption,
  type ServiceFlags,
  serviceHttp,
  type TracingFlags,
  traceSampleOption,
  tracingFrom,
} from '../options.js';
import { stepTimeoutMs, untilSignal } from './shutdown.js';

interface ProducerFlags extends ServiceFlags {
  topic: string;
  rateMs: number;
  batchSize: number;
  running?: boolean;
  freshnessBudgetMs?: number;
  maxLag?: number;
  group: string;
}

/** `sluice producer`: the lab's producer service alone, against any broker. */
export function register(program: Command): void {
  const command = program
    .command('producer')
    .description(
      "the lab's producer service (POST /produce, /produce/batch, /burst, /start, /stop, /config)",
    );
  addServiceOptions(command, 8000)
    .option('--topic <name>', 'topic the orders go to', 'orders')
    .option('--rate-ms <n>', 'auto-producer period', integer('--rate-ms', 1, 3_600_000), 1000)
    .option('--batch-size <n>', 'orders per auto-producer tick', integer('--batch-size', 1, 10_000), 1)
    .option('--running', 'start the auto-producer at once')
    .option(
      '--freshness-budget-ms <n>',
      "admission control: 429 once the group's oldest unconsumed order is older",
      integer('--freshness-budget-ms', 1),
    )
    .option(
      '--max-lag <n>',
      'admission control: 429 once the group lags by more orders',
      integer('--max-lag', 1),
    )
    .option('--group <id>', 'consumer group whose lag admission control watches', 'order-processors')
    .addOption(gracePeriodOption())
    .addOption(otlpEndpointOption())
    .addOption(traceSampleOption())
    .action(async (flags: ProducerFlags & TracingFlags) => {
      const security = clientSecurity(flags);
      let monitor: LagMonitor | null = null;
      if (flags.freshnessBudgetMs !== undefined || flags.maxLag !== undefined) {
        // The producer watches the group itself, so admission control needs no other service.
        monitor = new LagMonitor({
          brokers: flags.brokers,
          security,
          intervalMs: 1000,
          includeGroups: [`^${flags.group}$`],
        });
        monitor.start();
      }
      const m = monitor;
      const service = await startProducerService({
        brokers: flags.brokers,
        security,
        topic: flags.topic,
        rateMs: flags.rateMs,
        batchSize: flags.batchSize,
        http: serviceHttp(flags),
        tracing: tracingFrom(flags),
        admission: m
          ? {
              freshnessBudgetMs: flags.freshnessBudgetMs,
              maxLag: flags.maxLag,
              signals: () => groupSignals(m.lag(), flags.group),
            }
          : undefined,
      });
      if (flags.running) service.producer.start();
      const step = stepTimeoutMs(flags.gracePeriod);
      untilSignal(
        'sluice producer',
        async () => {
          const { undelivered } = await service.close(step);
          await m?.stop(step);
          if (undelivered > 0)
            return {
              gaveUp: `${undelivered} orders not acknowledged by the broker within ${step} ms were not delivered`,
            };
        },
        flags.gracePeriod,
      );
      // Printed once the signal handlers are in: a script that signals on the banner is never too early.
      process.stdout.write(
        `sluice producer: ${service.url} -> ${flags.brokers.join(',')} topic "${flags.topic}"` +
          `${m ? ` (admission control on group "${flags.group}")` : ''}\n`,
      );
    });
  addClientSecurityOptions(command);
}
