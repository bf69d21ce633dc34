import { type Command, InvalidArgumentError, Option } from 'commander';
import { Broker } from '../../broker/broker.js';
import {
  BROKER_DEFAULTS,
  type BrokerOptions,
  type Durability,
  type LogLevel,
  type QuotaMode,
} from '../../broker/config.js';
import { gracePeriodOption, integer } from '../options.js';
import {
  addSecurityOptions,
  type BrokerSecurityFlags,
  registerUsers,
  securityOptions,
} from './broker-security.js';
import { untilSignal } from './shutdown.js';

interface BrokerFlags extends BrokerSecurityFlags {
  port: number;
  host: string;
  advertisedHost?: string;
  dataDir: string;
  durability: Durability;
  partitions: number;
  autoCreate: boolean;
  quotaRecords?: number;
  quotaBytes?: number;
  quotaMode: QuotaMode;
  gracePeriod: number;
  maxRequestBytes: number;
  queuedMaxRequestBytes: number;
  frameReadTimeoutMs: number;
}

/** `sluice broker`: runs the embedded Kafka-compatible broker until SIGINT/SIGTERM. */
export function register(program: Command): void {
  const command = program
    .command('broker')
    .description(
      'run the embedded Kafka-compatible broker (kcat, kafkajs, librdkafka and kafka-python clients work against it)',
    )
    .option(
      '--port <n>',
      'TCP port (0 = any free port, printed on the banner)',
      integer('--port', 0, 65535),
      BROKER_DEFAULTS.port,
    )
    .option('--host <addr>', 'address to listen on', BROKER_DEFAULTS.host)
    .option(
      '--advertised-host <addr>',
      'host clients are told to connect to (default: --host, or 127.0.0.1 for 0.0.0.0)',
    )
    .option('--data-dir <dir>', 'where partition logs live', BROKER_DEFAULTS.dataDir)
    .addOption(
      new Option(
        '--durability <level>',
        'memory (nothing on disk), async (fsync in the background), sync (fsync before acks)',
      )
        .choices(['memory', 'async', 'sync'])
        .default(BROKER_DEFAULTS.durability),
    )
    .option(
      '--partitions <n>',
      'partitions of auto-created topics',
      integer('--partitions'),
      BROKER_DEFAULTS.defaultPartitions,
    )
    .option('--auto-create', 'create unknown topics on first use', true)
    .option('--no-auto-create', 'answer UNKNOWN_TOPIC_OR_PARTITION for unknown topics')
    .option(
      '--quota-records <n>',
      'per-partition produce limit in records/s (Kinesis shard: 1000)',
      integer('--quota-records'),
    )
    .option(
      '--quota-bytes <n>',
      'per-partition produce limit in bytes/s (Kinesis shard: 1048576)',
      integer('--quota-bytes'),
    )
    .addOption(
      new Option(
        '--quota-mode <mode>',
        'throttle: accept and delay producers (Kafka); reject: refuse over-quota batches with the retriable REQUEST_TIMED_OUT, and batches over one second of allowance with RECORD_LIST_TOO_LARGE (Kinesis)',
      )
        .choices(['throttle', 'reject'])
        .default('throttle'),
    )
    .option(
      '--max-request-bytes <n>',
      "largest request frame accepted; a bigger one closes the connection (Kafka's socket.request.max.bytes)",
      integer('--max-request-bytes'),
      BROKER_DEFAULTS.maxRequestBytes,
    )
    .option(
      '--queued-max-request-bytes <n>',
      "request bytes all connections may hold at once; beyond it the broker stops reading sockets (Kafka's queued.max.request.bytes)",
      integer('--queued-max-request-bytes'),
      BROKER_DEFAULTS.queuedMaxRequestBytes,
    )
    .option(
      '--frame-read-timeout-ms <n>',
      'a request that has started to arrive must be whole within this, or the connection is closed (slow-loris guard)',
      integer('--frame-read-timeout-ms'),
      BROKER_DEFAULTS.frameReadTimeoutMs,
    )
    .addOption(gracePeriodOption());
  addSecurityOptions(command);
  registerUsers(command, BROKER_DEFAULTS.dataDir);
  command.action(runBroker);
}

/** The broker's options from the command's flags (a quota mode without a limit is refused). */
function brokerOptions(flags: BrokerFlags, command: Command): BrokerOptions {
  const options: BrokerOptions = {
    port: flags.port,
    host: flags.host,
    advertisedHost: flags.advertisedHost,
    dataDir: flags.dataDir,
    durability: flags.durability,
    defaultPartitions: flags.partitions,
    autoCreateTopics: flags.autoCreate,
    maxRequestBytes: flags.maxRequestBytes,
    queuedMaxRequestBytes: flags.queuedMaxRequestBytes,
    frameReadTimeoutMs: flags.frameReadTimeoutMs,
    // The command's log is its output: info unless SLUICE_LOG_LEVEL says otherwise.
    logLevel: (process.env.SLUICE_LOG_LEVEL as LogLevel | undefined) ?? 'info',
    ...securityOptions(flags),
  };
  if (flags.quotaRecords === undefined && flags.quotaBytes === undefined) {
    if (command.getOptionValueSource('quotaMode') === 'cli') {
      throw new InvalidArgumentError('--quota-mode needs a limit: add --quota-records and/or --quota-bytes');
    }
  } else {
    options.quotas = {
      recordsPerSecond: flags.quotaRecords,
      bytesPerSecond: flags.quotaBytes,
      mode: flags.quotaMode,
    };
  }
  return options;
}

/** `sluice broker`: start, print the banner, stop on a signal within the grace period. */
async function runBroker(flags: BrokerFlags, command: Command): Promise<void> {
  const options = brokerOptions(flags, command);
  const broker = new Broker(options);
  await broker.start();
  // Requests in flight get half the grace period (at most the configured drain); the rest is for
  // flushing the logs, so a client that stops reading cannot hold the broker past it.
  const drainMs = Math.min(broker.config.shutdownGraceMs, (flags.gracePeriod * 1000) / 2);
  untilSignal('sluice broker', () => broker.stop(drainMs), flags.gracePeriod);
  // Printed once the signal handlers are in: a script that signals on the banner is never too early.
  process.stdout.write(`${banner(broker)}\n`);
}

/** The startup banner; its first line carries the bound address for scripts (`--port 0`). */
export function banner(broker: Broker): string {
  const { host, port } = broker.address;
  const c = broker.config;
  const topics = broker.store.topicNames().sort();
  const lines = [
    `sluice broker listening on ${host}:${port} (node ${c.nodeId}, advertised as ${broker.advertised().host}:${broker.advertised().port})`,
    ...broker.listenerAddresses.slice(1).map((l) => `  listener     ${l.protocol} ${l.host}:${l.port}`),
    `  data dir     ${c.durability === 'memory' ? '(none: durability memory keeps nothing on disk)' : c.dataDir}`,
    `  durability   ${c.durability}`,
    `  topics       ${
      topics.length === 0
        ? 'none yet'
        : `${topics.length}: ${topics.map((t) => `${t}(${broker.store.partitionCount(t)})`).join(' ')}`
    }`,
    `  auto-create  ${c.autoCreateTopics ? `on, ${c.defaultPartitions} partition(s)` : 'off'}`,
    `  recovery     ${broker.recovery?.summary ?? 'n/a'}`,
  ];
  if (c.listeners.length > 1 || c.listeners[0].protocol !== 'PLAINTEXT') {
    lines.splice(1, 0, `  first        ${c.listeners[0].protocol}`);
  }
  if (c.security.authorizer) lines.push(`  authorizer   on (${broker.security.acls.size} ACLs)`);
  if (c.quotas) {
    const limits = [
      c.quotas.recordsPerSecond !== undefined ? `${c.quotas.recordsPerSecond} records/s` : undefined,
      c.quotas.bytesPerSecond !== undefined ? `${c.quotas.bytesPerSecond} bytes/s` : undefined,
    ].filter(Boolean);
    lines.push(`  quotas       ${limits.join(', ')} per partition, mode ${c.quotas.mode}`);
  }
  return lines.join('\n');
}
