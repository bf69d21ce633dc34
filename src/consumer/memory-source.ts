import type { FetchedPartition, FetchedRecord } from '../client/fetcher.js';
import type { OffsetToCommit } from '../client/group.js';
import { type Clock, realClock } from '../flow/clock.js';
import type { AssignmentListener, FetchLimits, RecordSource, TopicPartition } from './types.js';
import { Wakeup } from './wakeup.js';

export interface MemoryRecordInput {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: { key: string; value: Buffer | null }[];
  timestamp?: number;
}

interface Log {
  records: FetchedRecord[];
}

/**
 * An in-memory partitioned log behaving like a broker for the runtime: fetches return records from
 * each partition's position within the byte limits (at least one record per partition, like Kafka's
 * "at least one batch"), wait up to maxWaitMs on the clock for data, commits are stored, and the
 * assignment can be changed from outside to drive rebalances. For tests and simulations on a
 * virtual clock; it also records every fetch so tests can check what was asked for.
 */
export class MemorySource implements RecordSource {
  private readonly logs = new Map<string, Log>();
  private readonly positions = new Map<string, bigint>();
  readonly committed = new Map<string, bigint>();
  readonly commitLog: OffsetToCommit[][] = [];
  readonly fetchLog: { partitions: TopicPartition[]; limits: FetchLimits; records: number; bytes: number }[] =
    [];
  private listener: AssignmentListener | null = null;
  private assignedSet: TopicPartition[] = [];
  private readonly arrived = new Wakeup();
  private readonly clock: Clock;
  /** Bytes a record costs in a fetch response (payloads plus framing). */
  static recordWireBytes(r: FetchedRecord): number {
    return 20 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  }

  constructor(
    private readonly initial: TopicPartition[],
    options: { clock?: Clock; failCommits?: () => boolean } = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.failCommits = options.failCommits;
  }

  private readonly failCommits: (() => boolean) | undefined;

  append(topic: string, partition: number, inputs: MemoryRecordInput[]): void {
    const k = `${topic}\u0000${partition}`;
    let log = this.logs.get(k);
    if (!log) this.logs.set(k, (log = { records: [] }));
    for (const input of inputs) {
      log.records.push({
        topic,
        partition,
        offset: BigInt(log.records.length),
        timestamp: input.timestamp ?? this.clock.now(),
        key: toBuf(input.key),
        value: toBuf(input.value),
        headers: input.headers ?? [],
      });
    }
    this.arrived.notify();
  }

  endOffset(topic: string, partition: number): bigint {
    return BigInt(this.logs.get(`${topic}\u0000${partition}`)?.records.length ?? 0);
  }

  /** Records not yet committed: the lag, as a lag monitor would compute it. */
  lag(topic: string, partition: number): bigint {
    const k = `${topic}\u0000${partition}`;
    return this.endOffset(topic, partition) - (this.committed.get(k) ?? 0n);
  }

  assigned(): TopicPartition[] {
    return [...this.assignedSet];
  }

  async start(listener: AssignmentListener): Promise<void> {
    this.listener = listener;
    await this.assign(this.initial);
  }

  /** Adds partitions to the assignment (positions start at the committed offset). */
  async assign(partitions: TopicPartition[]): Promise<void> {
    for (const p of partitions) {
      const k = `${p.topic}\u0000${p.partition}`;
      this.positions.set(k, this.committed.get(k) ?? 0n);
      this.assignedSet.push(p);
    }
    await this.listener?.onAssign(partitions);
  }

  /** Takes partitions away the way a rebalance does: the listener drains and commits first. */
  async revoke(partitions: TopicPartition[]): Promise<void> {
    await this.listener?.onRevoke(partitions);
    const gone = new Set(partitions.map((p) => `${p.topic}\u0000${p.partition}`));
    this.assignedSet = this.assignedSet.filter((p) => !gone.has(`${p.topic}\u0000${p.partition}`));
    for (const k of gone) this.positions.delete(k);
  }

  async fetch(partitions: TopicPartition[], limits: FetchLimits): Promise<FetchedPartition[]> {
    let out = this.read(partitions, limits);
    if (out.every((p) => p.records.length === 0) && limits.maxWaitMs > 0) {
      await this.arrived.wait(this.clock, limits.maxWaitMs);
      out = this.read(partitions, limits);
    }
    const records = out.reduce((s, p) => s + p.records.length, 0);
    const bytes = out.reduce((s, p) => s + p.bytes, 0);
    this.fetchLog.push({ partitions, limits, records, bytes });
    return out;
  }

  seek(topic: string, partition: number, offset: bigint): void {
    const k = `${topic}\u0000${partition}`;
    if (this.positions.has(k)) this.positions.set(k, offset);
  }

  async commit(offsets: OffsetToCommit[]): Promise<void> {
    if (this.failCommits?.()) throw new Error('memory source: commit refused (injected)');
    this.commitLog.push(offsets.map((o) => ({ ...o })));
    for (const o of offsets) this.committed.set(`${o.topic}\u0000${o.partition}`, o.offset);
  }

  async stop(): Promise<void> {
    if (this.assignedSet.length > 0) await this.revoke(this.assigned());
  }

  private read(partitions: TopicPartition[], limits: FetchLimits): FetchedPartition[] {
    let budget = limits.maxBytes;
    const out: FetchedPartition[] = [];
    for (const p of partitions) {
      const k = `${p.topic}\u0000${p.partition}`;
      const pos = this.positions.get(k);
      if (pos === undefined) continue;
      const log = this.logs.get(k)?.records ?? [];
      const records: FetchedRecord[] = [];
      let bytes = 0;
      for (let i = Number(pos); i < log.length; i++) {
        const size = MemorySource.recordWireBytes(log[i]);
        const first = records.length === 0 && budget > 0;
        if (!first && (bytes + size > limits.partitionMaxBytes || size > budget)) break;
        records.push(log[i]);
        bytes += size;
        budget -= size;
      }
      const next = pos + BigInt(records.length);
      this.positions.set(k, next);
      out.push({
        topic: p.topic,
        partition: p.partition,
        records,
        nextOffset: next,
        highWatermark: BigInt(log.length),
        lastStableOffset: BigInt(log.length),
        logStartOffset: 0n,
        bytes,
        // Served record by record: each record is a batch of its own.
        batches: records.length,
      });
    }
    return out;
  }
}

function toBuf(v: string | Buffer | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v) : v;
}
