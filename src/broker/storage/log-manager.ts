/**
 * The broker's storage: topics, their partitions' logs, their configs, and the background retention
 * pass. Topic metadata is a small JSON file per topic (`<dataDir>/.meta/<topic>.json`, written
 * atomically), so a restart restores every topic with its configs; partition data lives in
 * `<dataDir>/<topic>-<partition>/` as Kafka lays it out. Without a data directory everything is in
 * memory and nothing touches the disk.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Clock, realClock } from '../../flow/clock.js';
import { newStats, type StorageStats, writeFileAtomicSync } from './byte-store.js';
import {
  brokerSynonym,
  brokerToTopicConfigs,
  DEFAULT_LOG_CONFIG,
  type Durability,
  describeDefault,
  type LogConfig,
  resolveLogConfig,
  TOPIC_CONFIG_NAMES,
  validateTopicConfigs,
  validateTopicName,
} from './config.js';
import { InvalidConfigError, InvalidPartitionsError, TopicExistsError, UnknownTopicError } from './errors.js';
import { PartitionLog } from './partition-log.js';
import type { PartitionRecovery } from './recovery.js';

export interface LogManagerOptions {
  /** Where data lives; omit for a broker that keeps everything in memory. */
  dataDir?: string;
  clock?: Clock;
  /** Broker-wide durability for topics that do not set sluice.durability (default async, or memory without dataDir). */
  durability?: Durability;
  /** Broker-wide topic config defaults, as Kafka config strings (e.g. {'retention.ms': '3600000'}). */
  defaults?: Record<string, string | number>;
  /** How often the retention pass runs (Kafka's log.retention.check.interval.ms; default 5 min). */
  retentionCheckIntervalMs?: number;
}

export interface TopicInfo {
  name: string;
  /** Kafka topic id (UUID), stable across restarts. */
  topicId: string;
  partitions: number;
  /** Configs the topic sets explicitly (not defaults). */
  configs: Record<string, string>;
  createdAtMs: number;
}

/** Where a topic's effective config value comes from, most specific first (Kafka's ConfigSource). */
export type ConfigOrigin = 'topic' | 'dynamic-broker' | 'dynamic-default' | 'default';

export interface ConfigEntry {
  name: string;
  value: string | null;
  isDefault: boolean;
  source: ConfigOrigin;
}

/**
 * Broker configs changed at run time, by their broker names (log.retention.ms…): for this broker
 * (`kafka-configs --entity-name 0`) and cluster-wide (`--entity-default`); this broker's win.
 */
export type BrokerConfigScope = 'broker' | 'default';

interface Topic {
  info: TopicInfo;
  config: LogConfig;
  logs: PartitionLog[];
}

const META_DIR = '.meta';
/** Dynamic broker configs, beside (not in) META_DIR, whose every file is a topic. */
const BROKER_CONFIGS_FILE = 'broker-configs.json';

export class LogManager {
  readonly dataDir: string | undefined;
  readonly clock: Clock;
  readonly stats: StorageStats = newStats();
  /** What the last open repaired, one entry per partition loaded from disk. */
  readonly recovery: PartitionRecovery[] = [];
  /** What every topic starts from: built-in defaults, the broker's options, then dynamic broker configs. */
  private base: LogConfig;
  private readonly staticBase: LogConfig;
  private dynamic: Record<BrokerConfigScope, Record<string, string>> = { broker: {}, default: {} };
  private readonly topicMap = new Map<string, Topic>();
  private readonly busy = new Set<string>();
  private retentionTimer: { cancel(): void } | undefined;
  private closed = false;

  private constructor(opts: LogManagerOptions) {
    this.dataDir = opts.dataDir;
    this.clock = opts.clock ?? realClock;
    const durability = opts.durability ?? (opts.dataDir ? 'async' : 'memory');
    if (durability !== 'memory' && !opts.dataDir) {
      throw new InvalidConfigError(`durability "${durability}" needs a data directory (dataDir)`);
    }
    const defaults = validateTopicConfigs(opts.defaults ?? {});
    this.staticBase = resolveLogConfig({ ...DEFAULT_LOG_CONFIG, durability }, defaults);
    this.base = this.staticBase;
    if (this.base.durability !== 'memory' && !opts.dataDir) {
      throw new InvalidConfigError(`durability "${this.base.durability}" needs a data directory (dataDir)`);
    }
  }

  /** Opens the storage, restoring (and recovering) every topic found in the data directory. */
  static async open(opts: LogManagerOptions = {}): Promise<LogManager> {
    const mgr = new LogManager(opts);
    await mgr.load();
    const interval = opts.retentionCheckIntervalMs ?? 300_000;
    mgr.retentionTimer = mgr.clock.setInterval(() => {
      mgr.applyRetention().catch(() => undefined);
    }, interval);
    return mgr;
  }

  /** Broker-wide config every topic starts from. */
  get defaults(): LogConfig {
    return { ...this.base };
  }

  // --- topics -------------------------------------------------------------------------------------

  async createTopic(
    name: string,
    partitions: number,
    configs: Record<string, string | number> = {},
  ): Promise<TopicInfo> {
    this.assertOpen();
    validateTopicName(name);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 100_000) {
      throw new InvalidPartitionsError(
        `topic "${name}": partition count must be an integer >= 1, got ${partitions}`,
      );
    }
    if (this.topicMap.has(name) || this.busy.has(name)) throw new TopicExistsError(name);
    const valid = validateTopicConfigs(configs);
    const config = resolveLogConfig(this.base, valid);
    this.assertDurabilityPossible(name, config);
    this.busy.add(name);
    try {
      const info: TopicInfo = {
        name,
        topicId: randomUUID(),
        partitions,
        configs: valid,
        createdAtMs: this.clock.now(),
      };
      this.writeMeta(info);
      const logs: PartitionLog[] = [];
      for (let p = 0; p < partitions; p++) logs.push(await this.openLog(name, p, config));
      this.topicMap.set(name, { info, config, logs });
      return { ...info, configs: { ...info.configs } };
    } finally {
      this.busy.delete(name);
    }
  }

  async deleteTopic(name: string): Promise<void> {
    this.assertOpen();
    const topic = this.requireTopic(name);
    this.topicMap.delete(name);
    for (const log of topic.logs) await log.destroy();
    if (this.dataDir) fs.rmSync(this.metaPath(name), { force: true });
  }

  /** Grows the topic to `totalCount` partitions (Kafka's CreatePartitions: never shrinks). */
  async addPartitions(name: string, totalCount: number): Promise<void> {
    this.assertOpen();
    const topic = this.requireTopic(name);
    const current = topic.logs.length;
    if (!Number.isInteger(totalCount) || totalCount <= current) {
      throw new InvalidPartitionsError(
        `topic "${name}" has ${current} partitions; the new count must be a larger integer, got ${totalCount}`,
      );
    }
    for (let p = current; p < totalCount; p++) topic.logs.push(await this.openLog(name, p, topic.config));
    topic.info.partitions = totalCount;
    this.writeMeta(topic.info);
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.topicMap.get(topic)?.logs[partition];
  }

  /** Like getLog, but throws UnknownTopicError (UNKNOWN_TOPIC_OR_PARTITION) when missing. */
  requireLog(topic: string, partition: number): PartitionLog {
    const log = this.getLog(topic, partition);
    if (!log) throw new UnknownTopicError(topic, partition);
    return log;
  }

  hasTopic(name: string): boolean {
    return this.topicMap.has(name);
  }

  getTopic(name: string): TopicInfo | undefined {
    const t = this.topicMap.get(name);
    return t ? { ...t.info, configs: { ...t.info.configs } } : undefined;
  }

  topics(): TopicInfo[] {
    return [...this.topicMap.values()]
      .map((t) => ({ ...t.info, configs: { ...t.info.configs } }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  // --- configs ------------------------------------------------------------------------------------

  /** Effective typed config of a topic. */
  topicConfig(name: string): LogConfig {
    return { ...this.requireTopic(name).config };
  }

  /** Every known config with its effective value and whether the topic sets it (DescribeConfigs). */
  describeTopicConfigs(name: string): ConfigEntry[] {
    const topic = this.requireTopic(name);
    const out: ConfigEntry[] = [];
    for (const key of TOPIC_CONFIG_NAMES) {
      const own = topic.info.configs[key];
      if (own !== undefined) out.push({ name: key, value: own, isDefault: false, source: 'topic' });
      else {
        const def = describeDefault(this.base, key);
        if (def !== undefined)
          out.push({ name: key, value: def, isDefault: true, source: this.originOf(key) });
      }
    }
    return out;
  }

  /**
   * Changes a topic's configs. `changes` maps names to new values, or null to revert to the default.
   * With `replace` (AlterConfigs semantics) configs not named are reverted too. `validateOnly` checks
   * without applying.
   */
  async alterTopicConfigs(
    name: string,
    changes: Record<string, string | number | null>,
    opts: { replace?: boolean; validateOnly?: boolean } = {},
  ): Promise<TopicInfo> {
    this.assertOpen();
    const topic = this.requireTopic(name);
    const next: Record<string, string | number> = opts.replace ? {} : { ...topic.info.configs };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    const valid = validateTopicConfigs(next);
    const config = resolveLogConfig(this.base, valid);
    this.assertDurabilityPossible(name, config);
    if ((config.durability === 'memory') !== (topic.config.durability === 'memory')) {
      throw new InvalidConfigError(
        `topic "${name}": sluice.durability cannot change between memory and a disk level ` +
          `(${topic.config.durability} -> ${config.durability}); recreate the topic instead`,
      );
    }
    if (!opts.validateOnly) {
      topic.info.configs = valid;
      topic.config = config;
      for (const log of topic.logs) log.updateConfig(config);
      this.writeMeta(topic.info);
    }
    return { ...topic.info, configs: { ...valid } };
  }

  /** Which layer a topic config falls back to: a dynamic broker config, or the built-in default. */
  private originOf(topicConfig: string): ConfigOrigin {
    const name = brokerSynonym(topicConfig);
    if (name === undefined) return 'default';
    if (this.dynamic.broker[name] !== undefined) return 'dynamic-broker';
    return this.dynamic.default[name] !== undefined ? 'dynamic-default' : 'default';
  }

  /** The dynamic broker configs of one scope, by broker name. */
  brokerConfigs(scope: BrokerConfigScope): Record<string, string> {
    return { ...this.dynamic[scope] };
  }

  /**
   * Changes dynamic broker configs (null reverts one) and re-applies the new defaults to every topic
   * that does not set its own, as Kafka does for log.retention.ms and friends. Persisted beside the
   * topics' metadata, so a restart keeps them.
   */
  async alterBrokerConfigs(
    scope: BrokerConfigScope,
    changes: Record<string, string | null>,
    opts: { validateOnly?: boolean } = {},
  ): Promise<void> {
    this.assertOpen();
    const next = { ...this.dynamic[scope] };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    const dynamic = { ...this.dynamic, [scope]: next };
    const base = this.baseWith(dynamic);
    if (opts.validateOnly) return;
    this.dynamic = dynamic;
    this.base = base;
    for (const t of this.topicMap.values()) {
      t.config = resolveLogConfig(base, t.info.configs);
      for (const log of t.logs) log.updateConfig(t.config);
    }
    if (this.dataDir) {
      writeFileAtomicSync(
        path.join(this.dataDir, BROKER_CONFIGS_FILE),
        `${JSON.stringify(dynamic, null, 2)}\n`,
        this.stats,
      );
    }
  }

  /** The base config under these dynamic broker configs (throws InvalidConfigError on a bad one). */
  private baseWith(dynamic: Record<BrokerConfigScope, Record<string, string>>): LogConfig {
    return resolveLogConfig(this.staticBase, {
      ...brokerToTopicConfigs(dynamic.default),
      ...brokerToTopicConfigs(dynamic.broker),
    });
  }

  // --- background work ----------------------------------------------------------------------------

  /** Runs retention on every log now (also runs on the clock every retentionCheckIntervalMs). */
  async applyRetention(): Promise<number> {
    let deleted = 0;
    for (const t of [...this.topicMap.values()]) {
      for (const log of t.logs) deleted += (await log.applyRetention()).length;
    }
    return deleted;
  }

  async flush(): Promise<void> {
    for (const t of this.topicMap.values()) for (const log of t.logs) await log.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.retentionTimer?.cancel();
    for (const t of this.topicMap.values()) for (const log of t.logs) await log.close();
  }

  // --- internals ----------------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new InvalidConfigError('storage is closed');
  }

  private assertDurabilityPossible(name: string, config: LogConfig): void {
    if (config.durability !== 'memory' && !this.dataDir) {
      throw new InvalidConfigError(
        `topic "${name}": sluice.durability=${config.durability} needs a data directory, and this broker runs in memory`,
      );
    }
  }

  private requireTopic(name: string): Topic {
    const t = this.topicMap.get(name);
    if (!t) throw new UnknownTopicError(name);
    return t;
  }

  private metaPath(name: string): string {
    return path.join(this.dataDir!, META_DIR, `${name}.json`);
  }

  private writeMeta(info: TopicInfo): void {
    if (!this.dataDir) return;
    fs.mkdirSync(path.join(this.dataDir, META_DIR), { recursive: true });
    writeFileAtomicSync(this.metaPath(info.name), `${JSON.stringify(info, null, 2)}\n`, this.stats);
  }

  private loadBrokerConfigs(dataDir: string): void {
    const file = path.join(dataDir, BROKER_CONFIGS_FILE);
    if (!fs.existsSync(file)) return;
    try {
      const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<
        BrokerConfigScope,
        Record<string, string>
      >;
      const dynamic = { broker: saved.broker ?? {}, default: saved.default ?? {} };
      this.base = this.baseWith(dynamic);
      this.dynamic = dynamic;
    } catch (err) {
      throw new InvalidConfigError(
        `dynamic broker configs ${file} are unreadable (${(err as Error).message}); fix or remove the file`,
      );
    }
  }

  private async openLog(topic: string, partition: number, config: LogConfig): Promise<PartitionLog> {
    const dir = this.dataDir ? path.join(this.dataDir, `${topic}-${partition}`) : undefined;
    const { log, recovery } = await PartitionLog.open({
      topic,
      partition,
      dir,
      config,
      clock: this.clock,
      stats: this.stats,
    });
    if (dir && config.durability !== 'memory') this.recovery.push(recovery);
    return log;
  }

  private async load(): Promise<void> {
    if (!this.dataDir) return;
    this.loadBrokerConfigs(this.dataDir);
    fs.mkdirSync(path.join(this.dataDir, META_DIR), { recursive: true });
    const files = fs.readdirSync(path.join(this.dataDir, META_DIR)).filter((f) => f.endsWith('.json'));
    for (const file of files.sort()) {
      let info: TopicInfo;
      try {
        info = JSON.parse(fs.readFileSync(path.join(this.dataDir, META_DIR, file), 'utf8')) as TopicInfo;
        validateTopicName(info.name);
      } catch (err) {
        throw new InvalidConfigError(
          `topic metadata ${path.join(this.dataDir, META_DIR, file)} is unreadable (${(err as Error).message}); ` +
            'fix or remove the file',
        );
      }
      const config = resolveLogConfig(this.base, validateTopicConfigs(info.configs ?? {}));
      const logs: PartitionLog[] = [];
      for (let p = 0; p < info.partitions; p++) logs.push(await this.openLog(info.name, p, config));
      this.topicMap.set(info.name, { info, config, logs });
    }
  }
}
