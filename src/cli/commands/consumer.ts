import { type Command, Option } from 'commander';
import { startConsumerService } from '../../lab/consumer-service.js';
import { FAILURE_KINDS, type FailureKind } from '../../lab/failures.js';
import {
  addClientSecurityOptions,
  addServiceOptions,
  clientSecurity,
  gracePeriodOption,
  integer,
  otlpEndpointOption,
  processingTimeOption,
  ratio,
  type ServiceFlags,
  serviceHttp,
  sinkOption,
  type TracingFlags,
  traceSampleOption,
  tracingFrom,
} from '../options.js';
import { untilSignal } from './shutdown.js';

interface ConsumerFlags extends ServiceFlags {
  topic: string;
  group: string;
  instance?: string;
  processingTimeMs: number;
  sink: 'simulated' | 'stdout';
  failureRate: number;
  failure: FailureKind;
  maxInFlight: number;
  maxPollRecords?: number;
}

/** `sluice consumer`: one consumer instance of the lab's group; start more on 8002, 8003 to scale out. */
export function register(program: Command): void {
  const command = program
    .command('consumer')
    .description("the lab's consumer service (POST /pause, /resume, /slow, /fast, /config; GET /stats)");
  addServiceOptions(command, 8001, 'HTTP port (8001; 8002, 8003 for more instances)')
    .option('--topic <name>', 'topic to consume', 'orders')
    .option('--group <id>', 'consumer group', 'order-processors')
    .option('--instance <name>', 'name in /stats and metrics (default consumer-N for port 800N)')
    .addOption(processingTimeOption('time spent per order (500 = 2 msg/s)'))
    .addOption(sinkOption())
    .option(
      '--failure-rate <0..1>',
      'share of attempts (transient) or orders (poison) that fail; POST /config changes it',
      ratio('--failure-rate', '0.5'),
      0,
    )
    .addOption(
      new Option('--failure <kind>', 'what --failure-rate injects')
        .choices([...FAILURE_KINDS])
        .default('transient'),
    )
    .option(
      '--max-in-flight <n>',
      'orders held at once, fetched and not yet written (the credit window)',
      integer('--max-in-flight', 1, 100_000),
      10,
    )
    .option(
      '--max-poll-records <n>',
      'most orders one fetch hands over (default: the free credits)',
      integer('--max-poll-records', 1, 100_000),
    )
    .addOption(gracePeriodOption())
    .addOption(otlpEndpointOption())
    .addOption(traceSampleOption())
    .action(runConsumer);
  addClientSecurityOptions(command);
}

/** Starts the service and keeps it until a signal; the banner follows once the handlers are in. */
async function runConsumer(flags: ConsumerFlags & TracingFlags): Promise<void> {
  const instance = flags.instance ?? defaultInstanceName(flags.port);
  const service = await startConsumerService({
    brokers: flags.brokers,
    security: clientSecurity(flags),
    topic: flags.topic,
    groupId: flags.group,
    instance,
    processingTimeMs: flags.processingTimeMs,
    sink: flags.sink,
    failureRate: flags.failureRate,
    failure: flags.failure,
    maxInFlight: flags.maxInFlight,
    maxPollRecords: flags.maxPollRecords,
    gracePeriodMs: flags.gracePeriod * 1000,
    http: serviceHttp(flags),
    tracing: tracingFrom(flags),
  });
  // stdout carries the orders with --sink stdout; the banner goes to stderr then.
  const out = flags.sink === 'stdout' ? process.stderr : process.stdout;
  untilSignal(
    'sluice consumer',
    async () => {
      const r = await service.close();
      const redelivered = `${r.uncommitted} records left uncommitted, to be redelivered to group "${flags.group}"`;
      if (r.gaveUp.length > 0) return { gaveUp: `${redelivered} (${r.gaveUp.join('; ')})` };
      return {
        note: `offsets committed${r.uncommitted > 0 ? `; ${redelivered} (fetched, not started)` : ''}`,
      };
    },
    flags.gracePeriod,
  );
  // Printed once the signal handlers are in: a script that signals on the banner is never too early.
  out.write(
    `sluice consumer: ${instance} at ${service.url}, group "${flags.group}" on ${flags.brokers.join(',')}\n`,
  );
}

/** consumer-N for port 800N (the lab's 8001..8009), else consumer-<port>. */
function defaultInstanceName(port: number): string {
  return port > 8000 && port < 8010 ? `consumer-${port - 8000}` : `consumer-${port}`;
}
