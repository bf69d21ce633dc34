import type { Clock } from '../flow/clock.js';
import type { Cluster, ClusterOptions } from './cluster.js';
import { clusterFor } from './cluster-for.js';
import { ConsumerClient } from './consumer-client.js';
import { ConfigError } from './errors.js';
import type { FetchedPartition, FetchedRecord } from './fetcher.js';
import { GroupMember, type OffsetToCommit } from './group.js';

/**
 * A kafkajs-style consumer on top of ConsumerClient and GroupMember, for programs that want
 * `run({ eachMessage })` rather than the consumer runtime: one partition's records at a time, in order,
 * the handler awaited before the next one, offsets committed after the handler finished (every
 * `commitIntervalMs`, on revocation and on stop). At-least-once: what was fetched but not yet handled when
 * a rebalance or a crash comes is delivered again. No credits, no concurrency, no dead letters: for those,
 * use the consumer runtime (`sluice/consumer`).
 */
export interface MessageConsumerOptions {
  brokers?: string[];
  cluster?: Cluster;
  clientId?: string;
  clusterOptions?: Omit<ClusterOptions, 'brokers'>;
  groupId: string;
  topics: string[];
  /** Where a partition without a committed offset starts (default 'latest', as kafkajs's fromBeginning: false). */
  autoOffsetReset?: 'earliest' | 'latest';
  /** Bytes one fetch may bring (default 1 MiB). */
  maxBytes?: number;
  /** How long the broker may hold a fetch waiting for data (default 500 ms). */
  maxWaitMs?: number;
  /** How often handled offsets are committed (default 5 s). */
  commitIntervalMs?: number;
  /** Wait after a handler threw before its record is delivered again (default 1 s). */
  retryBackoffMs?: number;
  sessionTimeoutMs?: number;
  clock?: Clock;
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: FetchedRecord;
}

export interface EachBatchPayload {
  batch: { topic: string; partition: number; highWatermark: bigint; messages: FetchedRecord[] };
  /** Marks a record handled: its offset is committed with the next commit even if the batch fails later. */
  resolveOffset(offset: bigint): void;
}

export type MessageHandlers =
  | { eachMessage: (payload: EachMessagePayload) => Promise<void>; eachBatch?: never }
  | { eachBatch: (payload: EachBatchPayload) => Promise<void>; eachMessage?: never };

export interface MessageConsumerStats {
  /** Records whose handler finished. */
  handled: number;
  handlerErrors: number;
  fetchErrors: number;
  commits: number;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class MessageConsumer {
  readonly cluster: Cluster;
  readonly client: ConsumerClient;
  readonly member: GroupMember;
  private readonly ownsCluster: boolean;
  private readonly options: MessageConsumerOptions;
  /** Next offset to commit per partition: the record after the last one handled. */
  private readonly handled = new Map<string, OffsetToCommit>();
  private readonly counters = { handled: 0, handlerErrors: 0, fetchErrors: 0, commits: 0 };
  private loop: Promise<void> | null = null;
  private stopping = false;
  private lastCommitAt = 0;

  constructor(options: MessageConsumerOptions) {
    if (!options.groupId) throw new ConfigError('MessageConsumer: groupId is required');
    if (!options.topics?.length)
      throw new ConfigError('MessageConsumer: topics must name at least one topic');
    this.options = options;
    const { cluster, owned } = clusterFor(options, 'MessageConsumer', 'sluice-consumer');
    this.cluster = cluster;
    this.ownsCluster = owned;
    this.client = new ConsumerClient({
      cluster: this.cluster,
      groupId: options.groupId,
      autoOffsetReset: options.autoOffsetReset ?? 'latest',
    });
    this.member = new GroupMember({
      cluster: this.cluster,
      groupId: options.groupId,
      topics: options.topics,
      sessionTimeoutMs: options.sessionTimeoutMs,
      onAssign: (tps) => this.client.assign(flatten(tps)),
      onRevoke: async (tps) => {
        const parts = flatten(tps);
        await this.commit(parts.map((p) => tpKey(p.topic, p.partition))).catch(() => {});
        this.client.unassign(parts);
        for (const p of parts) this.handled.delete(tpKey(p.topic, p.partition));
      },
    });
  }

  /** Joins the group and starts handling records; resolves once joined (the loop runs on). */
  async run(handlers: MessageHandlers): Promise<void> {
    if (this.loop) throw new ConfigError('MessageConsumer: run() was already called');
    if (!handlers.eachMessage === !handlers.eachBatch) {
      throw new ConfigError('MessageConsumer.run: give exactly one of eachMessage or eachBatch');
    }
    await this.member.join();
    this.lastCommitAt = this.cluster.clock.now();
    this.loop = this.fetchLoop(handlers);
  }

  /** Stops after the record being handled, commits what was handled, leaves the group and closes. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop?.catch(() => {});
    await this.commit().catch(() => {});
    await this.member.leave().catch(() => {});
    if (this.ownsCluster) await this.cluster.close();
  }

  stats(): MessageConsumerStats {
    return { ...this.counters };
  }

  private async fetchLoop(handlers: MessageHandlers): Promise<void> {
    const clock = this.cluster.clock;
    const maxWaitMs = this.options.maxWaitMs ?? 500;
    while (!this.stopping) {
      if (this.client.assignment().length === 0) {
        // Nothing assigned (more members than partitions, or between a revoke and an assign).
        await clock.sleep(maxWaitMs);
        continue;
      }
      let fetched: FetchedPartition[];
      try {
        fetched = await this.client.poll({ maxBytes: this.options.maxBytes ?? 1024 * 1024, maxWaitMs });
      } catch {
        this.counters.fetchErrors++;
        await clock.sleep(this.options.retryBackoffMs ?? 1000);
        continue;
      }
      for (const fp of fetched) {
        if (this.stopping) break;
        if (fp.records.length === 0) continue;
        const failedAt = await this.handlePartition(
          handlers,
          fp.topic,
          fp.partition,
          fp.highWatermark,
          fp.records,
        );
        if (failedAt !== null) {
          // Deliver the failed record again after a pause; what came after it in this fetch comes again too.
          this.client.seek(fp.topic, fp.partition, failedAt);
          await clock.sleep(this.options.retryBackoffMs ?? 1000);
        }
      }
      if (clock.now() - this.lastCommitAt >= (this.options.commitIntervalMs ?? 5000)) {
        await this.commit().catch(() => {});
      }
    }
  }

  /** Handles one partition's records in order; returns the offset of the record that failed, if one did. */
  private async handlePartition(
    handlers: MessageHandlers,
    topic: string,
    partition: number,
    highWatermark: bigint,
    records: FetchedRecord[],
  ): Promise<bigint | null> {
    const key = tpKey(topic, partition);
    const commitAfter = (offset: bigint) => this.handled.set(key, { topic, partition, offset: offset + 1n });
    if (handlers.eachBatch) {
      // Records up to index `done` are handled (resolveOffset may mark a prefix before the batch ends).
      let done = -1;
      const resolveOffset = (offset: bigint) => {
        const at = records.findIndex((r) => r.offset === offset);
        if (at <= done) return;
        this.counters.handled += at - done;
        done = at;
        commitAfter(offset);
      };
      try {
        await handlers.eachBatch({
          batch: { topic, partition, highWatermark, messages: records },
          resolveOffset,
        });
        resolveOffset(records[records.length - 1].offset);
        return null;
      } catch {
        this.counters.handlerErrors++;
        return records[done + 1].offset;
      }
    }
    for (const message of records) {
      if (this.stopping) {
        this.client.seek(topic, partition, message.offset);
        return null;
      }
      try {
        await handlers.eachMessage!({ topic, partition, message });
      } catch {
        this.counters.handlerErrors++;
        return message.offset;
      }
      commitAfter(message.offset);
      this.counters.handled++;
    }
    return null;
  }

  private async commit(keys?: string[]): Promise<void> {
    const offsets = [...this.handled.entries()].filter(([k]) => !keys || keys.includes(k)).map(([, o]) => o);
    this.lastCommitAt = this.cluster.clock.now();
    if (offsets.length === 0) return;
    await this.member.commit(offsets);
    this.counters.commits++;
  }
}

function flatten(tps: { topic: string; partitions: number[] }[]) {
  return tps.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
}
