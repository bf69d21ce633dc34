/**
 * Topic configuration as Kafka names it, parsed and validated at the edge. Configs arrive as strings
 * (CreateTopics, AlterConfigs, the CLI) and are kept as given for DescribeConfigs, beside the typed
 * `LogConfig` the log runs on.
 */
import { InvalidConfigError, InvalidTopicError } from './errors.js';

export const DURABILITIES = ['memory', 'async', 'sync'] as const;
export type Durability = (typeof DURABILITIES)[number];

export interface LogConfig {
  /** Roll the active segment when it would grow past this many bytes. */
  segmentBytes: number;
  /** Roll the active segment when it is older than this (ms since its creation). */
  segmentMs: number;
  /** Delete closed segments whose newest record is older than this; -1 = keep forever. */
  retentionMs: number;
  /** Delete oldest closed segments while the log stays at or above this size; -1 = unlimited. */
  retentionBytes: number;
  /** Largest batch a producer may append. */
  maxMessageBytes: number;
  /** Bytes of log between two sparse index entries. */
  indexIntervalBytes: number;
  durability: Durability;
  /** `async` durability: how often dirty segments are fsynced in the background. */
  flushIntervalMs: number;
  /** LogAppendTime makes the broker stamp each batch with its own clock. */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** CreateTime batches stamped more than this far in the broker's future are refused (INVALID_TIMESTAMP). */
  messageTimestampAfterMaxMs: number;
  cleanupPolicy: string;
  /** Compacted topics: how long a tombstone (null value) survives in a cleaned segment. */
  deleteRetentionMs: number;
  /** Compacted topics: clean once dirty bytes / sealed bytes reaches this. */
  minCleanableDirtyRatio: number;
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600_000,
  retentionMs: 7 * 24 * 3600_000,
  retentionBytes: -1,
  maxMessageBytes: 1024 * 1024 + 12,
  indexIntervalBytes: 4096,
  durability: 'async',
  flushIntervalMs: 1000,
  messageTimestampType: 'CreateTime',
  // Kafka 4's default (KIP-937): one hour. Its before.max.ms counterpart defaults to "no limit".
  messageTimestampAfterMaxMs: 3_600_000,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 24 * 3600_000,
  minCleanableDirtyRatio: 0.5,
};

/** Whether a `cleanup.policy` value asks for compaction (`compact`, `compact,delete`, `delete,compact`). */
export function isCompacted(config: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return config.cleanupPolicy.includes('compact');
}

/** Whether time and size retention apply (`delete` alone or with `compact`). */
export function deletesByRetention(config: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return config.cleanupPolicy.includes('delete');
}

type Parser = (value: string, name: string) => unknown;

function intParser(min: number, max = Number.MAX_SAFE_INTEGER): Parser {
  return (value, name) => {
    if (!/^-?\d+$/.test(value.trim())) {
      throw new InvalidConfigError(`${name}=${JSON.stringify(value)} is not an integer`);
    }
    const n = Number(value);
    if (n < min || n > max) {
      throw new InvalidConfigError(`${name}=${value} is out of range: it must be between ${min} and ${max}`);
    }
    return n;
  };
}

function ratioParser(): Parser {
  return (value, name) => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
      throw new InvalidConfigError(`${name}=${JSON.stringify(value)} must be a number between 0 and 1`);
    }
    return n;
  };
}

function enumParser(allowed: readonly string[]): Parser {
  return (value, name) => {
    if (!allowed.includes(value)) {
      throw new InvalidConfigError(`${name}=${JSON.stringify(value)} must be one of: ${allowed.join(', ')}`);
    }
    return value;
  };
}

interface ConfigDef {
  key: keyof LogConfig;
  parse: Parser;
  render: (v: LogConfig[keyof LogConfig]) => string;
}

const str = (v: unknown) => String(v);

/** Configs that change how the log behaves. */
const KNOWN: Record<string, ConfigDef> = {
  'segment.bytes': { key: 'segmentBytes', parse: intParser(14, 2 ** 31 - 1), render: str },
  'segment.ms': { key: 'segmentMs', parse: intParser(1), render: str },
  'retention.ms': { key: 'retentionMs', parse: intParser(-1), render: str },
  'retention.bytes': { key: 'retentionBytes', parse: intParser(-1), render: str },
  'max.message.bytes': { key: 'maxMessageBytes', parse: intParser(0, 2 ** 31 - 1), render: str },
  'index.interval.bytes': { key: 'indexIntervalBytes', parse: intParser(0, 2 ** 31 - 1), render: str },
  'sluice.durability': { key: 'durability', parse: enumParser(DURABILITIES), render: str },
  'sluice.flush.interval.ms': { key: 'flushIntervalMs', parse: intParser(1), render: str },
  'message.timestamp.type': {
    key: 'messageTimestampType',
    parse: enumParser(['CreateTime', 'LogAppendTime']),
    render: str,
  },
  'message.timestamp.after.max.ms': { key: 'messageTimestampAfterMaxMs', parse: intParser(0), render: str },
  'delete.retention.ms': { key: 'deleteRetentionMs', parse: intParser(0), render: str },
  'min.cleanable.dirty.ratio': { key: 'minCleanableDirtyRatio', parse: ratioParser(), render: str },
  'cleanup.policy': {
    key: 'cleanupPolicy',
    parse: enumParser(['delete', 'compact', 'compact,delete', 'delete,compact']),
    render: str,
  },
};

/**
 * Kafka topic configs we accept (clients and tools send them) but that change nothing in a single-node
 * broker without replication. Listed so DescribeConfigs can echo them back.
 */
const ACCEPTED_NO_EFFECT = new Set([
  'compression.type',
  'file.delete.delay.ms',
  'flush.messages',
  'flush.ms',
  'follower.replication.throttled.replicas',
  'leader.replication.throttled.replicas',
  'local.retention.bytes',
  'local.retention.ms',
  'max.compaction.lag.ms',
  'message.downconversion.enable',
  'message.format.version',
  'message.timestamp.difference.max.ms',
  'message.timestamp.before.max.ms',
  'min.compaction.lag.ms',
  'min.insync.replicas',
  'preallocate',
  'remote.storage.enable',
  'segment.index.bytes',
  'segment.jitter.ms',
  'unclean.leader.election.enable',
]);

export const TOPIC_CONFIG_NAMES: readonly string[] = [...Object.keys(KNOWN), ...ACCEPTED_NO_EFFECT].sort();

/** Checks every entry and returns the configs as strings (what is persisted and described). */
export function validateTopicConfigs(configs: Record<string, string | number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(configs)) {
    const value = String(raw);
    const def = KNOWN[name];
    if (def) def.parse(value, name);
    else if (!ACCEPTED_NO_EFFECT.has(name)) {
      throw new InvalidConfigError(
        `unknown topic config "${name}"; known configs: ${Object.keys(KNOWN).join(', ')} ` +
          '(plus Kafka configs accepted without effect, e.g. min.insync.replicas)',
      );
    }
    out[name] = value;
  }
  return out;
}

/**
 * Kafka's broker-wide names for the topic configs a broker may set as defaults at run time
 * (`kafka-configs --alter --entity-type brokers …`): the broker name, and the topic config it defaults.
 */
const BROKER_CONFIG_SYNONYMS: Readonly<Record<string, string>> = {
  'log.retention.ms': 'retention.ms',
  'log.retention.bytes': 'retention.bytes',
  'log.segment.bytes': 'segment.bytes',
  'log.roll.ms': 'segment.ms',
  'log.cleanup.policy': 'cleanup.policy',
  'log.message.timestamp.type': 'message.timestamp.type',
  'log.message.timestamp.after.max.ms': 'message.timestamp.after.max.ms',
  'log.cleaner.delete.retention.ms': 'delete.retention.ms',
  'log.cleaner.min.cleanable.ratio': 'min.cleanable.dirty.ratio',
  'log.index.interval.bytes': 'index.interval.bytes',
};

/** The broker name of a topic config, when a broker may default it (retention.ms -> log.retention.ms). */
export function brokerSynonym(topicConfig: string): string | undefined {
  return Object.keys(BROKER_CONFIG_SYNONYMS).find((b) => BROKER_CONFIG_SYNONYMS[b] === topicConfig);
}

/** Checks dynamic broker configs (by their broker names) and returns them as topic configs. */
export function brokerToTopicConfigs(configs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(configs)) {
    const topicName = BROKER_CONFIG_SYNONYMS[name];
    if (topicName === undefined) {
      throw new InvalidConfigError(
        `broker config "${name}" cannot be changed at run time here; ` +
          `these can: ${Object.keys(BROKER_CONFIG_SYNONYMS).join(', ')}`,
      );
    }
    out[topicName] = value;
  }
  return validateTopicConfigs(out);
}

/** The typed config a log runs on: defaults, then broker-wide settings, then the topic's own. */
export function resolveLogConfig(base: LogConfig, configs: Record<string, string>): LogConfig {
  const cfg: LogConfig = { ...base };
  for (const [name, value] of Object.entries(configs)) {
    const def = KNOWN[name];
    if (def) (cfg as unknown as Record<string, unknown>)[def.key] = def.parse(value, name);
  }
  return cfg;
}

/** The value DescribeConfigs shows for a known config when the topic does not set it. */
export function describeDefault(base: LogConfig, name: string): string | undefined {
  const def = KNOWN[name];
  return def ? def.render(base[def.key]) : undefined;
}

const MAX_TOPIC_NAME_LENGTH = 249;

/** Kafka's rules: [a-zA-Z0-9._-], 1..249 chars, not "." or "..". */
export function validateTopicName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidTopicError('topic name is empty');
  }
  if (name === '.' || name === '..') throw new InvalidTopicError(`topic name cannot be "${name}"`);
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new InvalidTopicError(
      `topic name is ${name.length} characters long; the maximum is ${MAX_TOPIC_NAME_LENGTH}`,
    );
  }
  const bad = name.match(/[^a-zA-Z0-9._-]/);
  if (bad) {
    throw new InvalidTopicError(
      `topic name "${name}" contains ${JSON.stringify(bad[0])}; legal characters are ASCII letters, digits, '.', '_' and '-'`,
    );
  }
}
