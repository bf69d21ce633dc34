import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_PORTS, Lab, MAX_CONSUMERS } from '../../lab/lab.js';
import { failureCause } from '../../lab/load.js';
import { type RunningJaeger, startJaeger } from '../../tracing/jaeger.js';
import {
  addClientSecurityOptions,
  brokerList,
  type ClientSecurityFlags,
  clientSecurity,
  gracePeriodOption,
  integer,
  otlpEndpointOption,
  processingTimeOption,
  serviceUrl,
  sinkOption,
  type TracingFlags,
  tokenOption,
  traceSampleOption,
  tracingFrom,
} from '../options.js';
import { untilSignal } from './shutdown.js';

interface LabFlags extends ClientSecurityFlags {
  memory?: boolean;
  dataDir?: string;
  brokers?: string[];
  host: string;
  token?: string;
  consumers: number;
  basePort?: number;
  brokerPort?: number;
  producerPort?: number;
  consumerPort?: number;
  monitorPort?: number;
  partitions: number;
  topic: string;
  group: string;
  processingTimeMs: number;
  sink: 'simulated' | 'stdout';
  monitorIntervalMs: number;
  freshnessBudgetMs?: number;
  maxLag?: number;
  monitorUrl?: string;
  gracePeriod: number;
  jaeger?: boolean;
}

export function banner(lab: Lab, jaeger: RunningJaeger | null = null): string {
  const u = lab.urls;
  const mon = u.monitor ?? '';
  const prod = u.producer ?? '';
  const cons = u.consumers[0] ?? '';
  const lines = [
    `sluice lab: ready (${lab.broker ? `embedded broker, ${lab.broker.config.durability === 'memory' ? 'in memory' : `data in ${lab.broker.config.dataDir}`}` : 'external Kafka'})`,
    '',
    `  broker        ${u.broker}`,
    `  producer      ${prod}`,
    ...u.consumers.map((c, i) => `  consumer-${i + 1}    ${c}`),
    `  lag monitor   ${mon}   (dashboard at / when built; /metrics for Prometheus)`,
    ...(jaeger
      ? [
          `  jaeger UI     ${jaeger.uiUrl}   (services sluice-producer, sluice-consumer; OTLP at ${jaeger.otlpEndpoint})`,
        ]
      : []),
    '',
    `  topic "${lab.options.topic}" (${lab.options.partitions} partitions), group "${lab.options.groupId}", ${lab.options.processingTimeMs} ms per order = ${lab.options.processingTimeMs > 0 ? Math.round((1000 / lab.options.processingTimeMs) * 100) / 100 : 'unlimited'} msg/s per consumer`,
    '',
    'Exercise 1: baseline throughput (docs/lab.md walks through all eight)',
    `  curl -s ${cons}/config | jq`,
    `  curl -s ${mon}/lag | jq`,
    `  curl -X POST ${prod}/produce/batch?count=10`,
    `  sleep 10; curl -s ${mon}/lag | jq '.total_lag'`,
    '',
    moreConsumers(lab),
    'Stop with Ctrl-C.',
  ];
  return lines.join('\n');
}

/**
 * The banner's scaling hint, with the addresses this lab really uses: `scale` reaches the monitor it
 * was started with, and a stand-alone consumer gets the next consumer port, the broker, topic and group.
 */
function moreConsumers(lab: Lab): string {
  const n = lab.consumers.length;
  const mon = lab.urls.monitor;
  const scale =
    n < MAX_CONSUMERS
      ? `sluice lab scale ${n + 1}${mon && mon !== DEFAULT_MONITOR_URL ? ` --monitor-url ${mon}` : ''}`
      : `sluice lab scale N (at most ${MAX_CONSUMERS})`;
  const port = lab.ports.consumer === 0 ? 0 : lab.ports.consumer + n;
  const o = lab.options;
  const extra = [
    o.topic !== 'orders' ? ` --topic ${o.topic}` : '',
    o.groupId !== 'order-processors' ? ` --group ${o.groupId}` : '',
    // Off the default ports the consumer cannot guess its name from its port; the lab's are consumer-N.
    lab.ports.consumer !== DEFAULT_PORTS.consumer ? ` --instance consumer-${n + 1}` : '',
  ].join('');
  return `More consumers: ${scale}   (or: sluice consumer --port ${port} --brokers ${lab.urls.broker}${extra} &)`;
}

const DEFAULT_MONITOR_URL = `http://127.0.0.1:${DEFAULT_PORTS.monitor}`;

/** Where `lab scale` finds the running lab: --monitor-url, else --monitor-port, else --base-port + 10. */
function scaleMonitorUrl(flags: Pick<LabFlags, 'monitorUrl' | 'monitorPort' | 'basePort'>): string {
  if (flags.monitorUrl) return flags.monitorUrl;
  if (flags.monitorPort) return `http://127.0.0.1:${flags.monitorPort}`;
  if (flags.basePort !== undefined) return `http://127.0.0.1:${flags.basePort + 10}`;
  return DEFAULT_MONITOR_URL;
}

export function register(program: Command): void {
  labOptions(program.command('lab')).action(
    async (action: string | undefined, count: string | undefined, flags: LabFlags & TracingFlags) => {
      if (action === undefined) return startLab(flags);
      if (action !== 'scale')
        throw new InvalidArgumentError(`unknown lab action "${action}"; did you mean "sluice lab scale 3"?`);
      await scaleLab(integer('count', 1, MAX_CONSUMERS)(count ?? ''), flags);
    },
  );
}

/** The flags of `sluice lab` (start) and `sluice lab scale` (reach the running lab). */
function labOptions(command: Command): Command {
  command
    .description(
      'the consumer-lag lab in one command: embedded broker, topic "orders", producer :8000, consumer :8001, lag monitor :8010',
    )
    .argument('[action]', '"scale" to change the number of consumers of a running lab')
    .argument('[count]', 'consumers wanted (with scale)')
    .option('--memory', 'keep nothing on disk (embedded broker in memory)')
    .option('--data-dir <dir>', 'where the embedded broker keeps its logs (default ./.sluice)')
    .option(
      '--brokers <list>',
      'use a real Kafka cluster (host:port,...) instead of the embedded broker',
      brokerList,
    )
    .option('--host <addr>', 'address every service listens on', '127.0.0.1')
    .addOption(tokenOption())
    .option(
      '--consumers <n>',
      'consumer instances to start (ports 8001, 8002, ...)',
      integer('--consumers', 1, MAX_CONSUMERS),
      1,
    )
    .addOption(
      new Option('--base-port <n>', 'producer on n, consumers on n+1.., monitor on n+10')
        .argParser(integer('--base-port', 1, 65_000))
        .env('SLUICE_LAB_BASE_PORT'),
    )
    .addOption(
      new Option('--broker-port <n>', `embedded broker port (default ${DEFAULT_PORTS.broker}; 0 = any free)`)
        .argParser(integer('--broker-port', 0, 65535))
        .env('SLUICE_BROKER_PORT'),
    )
    .option('--producer-port <n>', 'producer port (0 = any free)', integer('--producer-port', 0, 65535))
    .option('--consumer-port <n>', 'first consumer port (0 = any free)', integer('--consumer-port', 0, 65535))
    .option('--monitor-port <n>', 'lag monitor port (0 = any free)', integer('--monitor-port', 0, 65535))
    .option('--partitions <n>', 'partitions of the topic', integer('--partitions', 1, 1000), 6)
    .option('--topic <name>', 'topic the orders go to', 'orders')
    .option('--group <id>', 'consumer group', 'order-processors')
    .addOption(processingTimeOption('time each consumer spends per order (500 = 2 msg/s)'))
    .addOption(sinkOption())
    .option(
      '--monitor-interval-ms <n>',
      'how often the monitor collects lag',
      integer('--monitor-interval-ms', 50, 600_000),
      2000,
    )
    .option(
      '--freshness-budget-ms <n>',
      'turn on edge admission control: 429 once the oldest unconsumed order is older than this many ms',
      integer('--freshness-budget-ms', 1),
    )
    .option(
      '--max-lag <n>',
      'turn on edge admission control: 429 once the group lags by more than this many orders',
      integer('--max-lag', 1),
    )
    .option(
      '--monitor-url <url>',
      `with "scale": the running lab's monitor (default: from --monitor-port or --base-port, else ${DEFAULT_MONITOR_URL})`,
      serviceUrl('--monitor-url'),
    )
    .addOption(gracePeriodOption())
    .addOption(otlpEndpointOption())
    .addOption(traceSampleOption())
    .option(
      '--jaeger',
      'start a Jaeger beside the lab (UI on :16686, OTLP on :4318; any free ports with --base-port) and trace every order into it',
    );
  addClientSecurityOptions(command);
  return command;
}

/** `sluice lab scale N`: asks the running lab's monitor service for N consumers. */
async function scaleLab(n: number, flags: LabFlags): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (flags.token) headers.authorization = `Bearer ${flags.token}`;
  const monitorUrl = scaleMonitorUrl(flags);
  const res = await fetch(`${monitorUrl}/lab/scale`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ consumers: n }),
  }).catch((err: unknown) => {
    throw new Error(
      `no lab answered at ${monitorUrl} (${failureCause(err)}); is "sluice lab" running? ` +
        'For a lab on other ports give the same --base-port (or SLUICE_LAB_BASE_PORT), or its monitor with --monitor-url http://host:port',
    );
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`scale refused (${res.status}): ${body}`);
  process.stdout.write(`${body}\n`);
}

/** `sluice lab`: starts every service, prints the banner, and runs until a signal. */
async function startLab(flags: LabFlags & TracingFlags): Promise<void> {
  const base = flags.basePort;
  let jaeger: RunningJaeger | null = null;
  if (flags.jaeger) {
    if (flags.otlpEndpoint) throw new InvalidArgumentError('give --jaeger or --otlp-endpoint, not both');
    jaeger = await startJaeger(base === undefined ? { uiPort: 16686, otlpPort: 4318 } : {});
  }
  const security = clientSecurity(flags);
  if (security && !flags.brokers) {
    throw new InvalidArgumentError(
      'TLS/SASL settings are for a real cluster: give --brokers too (the embedded broker needs none)',
    );
  }
  const started = Lab.start({
    brokers: flags.brokers,
    security,
    memory: flags.memory,
    dataDir: flags.dataDir,
    host: flags.host,
    token: flags.token,
    consumers: flags.consumers,
    ports: {
      broker: flags.brokerPort,
      producer: flags.producerPort ?? (base !== undefined ? base : undefined),
      consumer: flags.consumerPort ?? (base !== undefined ? base + 1 : undefined),
      monitor: flags.monitorPort ?? (base !== undefined ? base + 10 : undefined),
    },
    partitions: flags.partitions,
    topic: flags.topic,
    groupId: flags.group,
    processingTimeMs: flags.processingTimeMs,
    sink: flags.sink,
    monitorIntervalMs: flags.monitorIntervalMs,
    gracePeriodMs: flags.gracePeriod * 1000,
    admission:
      flags.freshnessBudgetMs !== undefined || flags.maxLag !== undefined
        ? { freshnessBudgetMs: flags.freshnessBudgetMs, maxLag: flags.maxLag }
        : undefined,
    tracing: tracingFrom(flags, jaeger?.otlpEndpoint ?? flags.otlpEndpoint),
  });
  const lab = await started.catch(async (err: unknown) => {
    await jaeger?.stop();
    throw err;
  });
  untilSignal(
    'sluice lab',
    async () => {
      const { gaveUp } = await lab.stop();
      await jaeger?.stop();
      if (gaveUp.length > 0) return { gaveUp: gaveUp.join('; ') };
    },
    flags.gracePeriod,
  );
  // Printed once the signal handlers are in: a script that signals on the banner is never too early.
  process.stdout.write(`${banner(lab, jaeger)}\n`);
}
