import { type Command, InvalidArgumentError } from 'commander';
import { Admin } from '../../client/admin.js';
import { brokerList, type ClientSecurityFlags, clientSecurity, clientSecurityOptions } from '../options.js';

/** Kafka's resource type for a topic in DescribeConfigs / IncrementalAlterConfigs. */
const TOPIC_RESOURCE = 2;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "48h", "30m", "7d", "1500ms" or a plain number of milliseconds; "-1" keeps forever. */
export function durationMs(raw: string): number {
  const m = /^(-1|\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(`give a duration such as 48h, 30m, 7d or 1500ms (got "${raw}")`);
  return m[1] === '-1' ? -1 : Number(m[1]) * UNITS[m[2] ?? 'ms'];
}

function bytesLimit(raw: string): number {
  if (!/^(-1|\d+)$/.test(raw.trim()))
    throw new InvalidArgumentError(`--retention-bytes takes bytes or -1 (got "${raw}")`);
  return Number(raw);
}

function keyValue(raw: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = raw.indexOf('=');
  if (at <= 0)
    throw new InvalidArgumentError(`--config takes name=value, e.g. segment.ms=3600000 (got "${raw}")`);
  return { ...previous, [raw.slice(0, at)]: raw.slice(at + 1) };
}

interface AlterFlags extends ClientSecurityFlags {
  brokers: string[];
  retention?: number;
  retentionBytes?: number;
  cleanupPolicy?: string;
  config?: Record<string, string>;
}

/** `sluice topic describe|alter`: a topic's settings, changed one at a time (the module's 24 h → 48 h). */
export function register(program: Command): void {
  const cmd = program
    .command('topic')
    .description("a topic's settings (retention and the other topic configs)");
  const describe = cmd
    .command('describe <topic>')
    .description("the topic's configs, those set on it first")
    .option('--brokers <list>', 'Kafka bootstrap servers', brokerList, ['127.0.0.1:9092'])
    .action(async (topic: string, flags: { brokers: string[] } & ClientSecurityFlags) => {
      const admin = new Admin({ brokers: flags.brokers, security: clientSecurity(flags) });
      try {
        const configs = await admin.describeConfigs({ type: TOPIC_RESOURCE, name: topic });
        configs.sort((a, b) => Number(a.isDefault) - Number(b.isDefault) || a.name.localeCompare(b.name));
        for (const c of configs) console.log(`${c.name}=${c.value ?? ''}${c.isDefault ? ' (default)' : ''}`);
      } finally {
        await admin.close();
      }
    });
  for (const o of clientSecurityOptions()) describe.addOption(o);
  const alter = cmd
    .command('alter <topic>')
    .description('changes only the settings given (IncrementalAlterConfigs); the others stay as they are')
    .option('--brokers <list>', 'Kafka bootstrap servers', brokerList, ['127.0.0.1:9092'])
    .option('--retention <duration>', 'retention.ms as a duration: 48h, 7d, -1 for forever', durationMs)
    .option('--retention-bytes <n>', 'retention.bytes per partition (-1: no limit)', bytesLimit)
    .option('--cleanup-policy <policy>', 'delete, compact or delete,compact')
    .option('--config <name=value>', 'any other topic config (repeatable)', keyValue)
    .action(async (topic: string, flags: AlterFlags) => {
      const changes: Record<string, string> = { ...flags.config };
      if (flags.retention !== undefined) changes['retention.ms'] = String(flags.retention);
      if (flags.retentionBytes !== undefined) changes['retention.bytes'] = String(flags.retentionBytes);
      if (flags.cleanupPolicy !== undefined) changes['cleanup.policy'] = flags.cleanupPolicy;
      if (Object.keys(changes).length === 0) {
        throw new InvalidArgumentError(
          'nothing to change: give --retention, --retention-bytes, --cleanup-policy or --config name=value',
        );
      }
      const admin = new Admin({ brokers: flags.brokers, security: clientSecurity(flags) });
      try {
        await admin.incrementalAlterConfigs({ type: TOPIC_RESOURCE, name: topic }, changes);
        const now = await admin.describeConfigs({ type: TOPIC_RESOURCE, name: topic }, Object.keys(changes));
        for (const c of now) console.log(`${topic}: ${c.name}=${c.value ?? ''}`);
      } finally {
        await admin.close();
      }
    });
  for (const o of clientSecurityOptions()) alter.addOption(o);
}
