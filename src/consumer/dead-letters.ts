import { Admin } from '../client/admin.js';
import type { Cluster, ClusterOptions } from '../client/cluster.js';
import { clusterChoice, clusterFor } from '../client/cluster-for.js';
import { ConsumerClient } from '../client/consumer-client.js';
import { KafkaClientError } from '../client/errors.js';
import type { FetchedRecord } from '../client/fetcher.js';
import { Producer } from '../client/producer.js';
import { DLQ_HEADERS } from './dead-letter.js';

/**
 * Looking at and replaying dead-letter topics, on any cluster: what `sluice dlq` and the dashboard's
 * dead-letters panel run.
 *
 * Replay sends a dead letter's original key, value and headers (without the `sluice.dlq.*` ones) back to
 * its source topic, adding {@link REPLAY_HEADER} = `<dlq topic>/<partition>@<offset>`. It is idempotent:
 * which dead letters were replayed is remembered in the consumer group `sluice-dlq-replay.<dlq topic>`,
 * as a committed offset per partition (every record before it was replayed; Kafka's own tools show the
 * rest as that group's lag) plus, in the commit's metadata, the ranges replayed beyond it (a replay by
 * reason can skip records). Why a group: it lives in the cluster next to the topic, needs no topic or
 * file of its own, survives restarts, works with Kafka's ACLs and tools, and is what replay-as-a-consumer
 * would do anyway. The commit follows the broker's acknowledgement of the replayed records, so a crash in
 * between replays those again (at least once, like any consumer): the header lets a sink skip them.
 * Two replays of one topic at the same moment are not coordinated; run one at a time.
 */

/** Header a replayed record carries: which dead letter it came from. */
export const REPLAY_HEADER = 'sluice.dlq.replay.of';
/** Offset-commit metadata beyond this is refused by Kafka's default offset.metadata.max.bytes (4096). */
const MAX_METADATA = 4000;

/** A record of a dead-letter topic; its `headers` are the record's own (the `sluice.dlq.*` ones removed). */
export interface DeadLetter extends FetchedRecord {
  reason: string;
  error: string;
  attempts: number | null;
  source: { topic: string; partition: number; offset: bigint } | null;
  replayed: boolean;
}

export interface ReasonSummary {
  count: number;
  oldest: number;
  newest: number;
}

export interface DeadLetterTopicSummary {
  topic: string;
  /** Dead letters still in the log (after retention and purges). */
  count: number;
  replayed: number;
  pending: number;
  byReason: Record<string, ReasonSummary>;
  oldest: { timestamp: number; reason: string } | null;
  newest: { timestamp: number; reason: string } | null;
}

export interface Selection {
  partition?: number;
  /** Inclusive offset range. */
  from?: bigint;
  to?: bigint;
  reason?: string;
}

export interface ReplayResult {
  topic: string;
  /** Dead letters the selection matched. */
  matched: number;
  replayed: number;
  /** Matched but replayed before: not sent again. */
  alreadyReplayed: number;
  /** Matched but without a source topic header: nowhere to send them. */
  unroutable: number;
  /** Replayed records per destination topic. */
  toTopics: Record<string, number>;
  /** With `purge`: the new log start per partition. */
  purged: { partition: number; lowWatermark: bigint }[];
}

/** The replay group of a dead-letter topic. */
export function replayGroupOf(dlqTopic: string): string {
  return `sluice-dlq-replay.${dlqTopic}`;
}

/** Replayed offsets of one partition: everything below `next`, plus inclusive ranges above it. */
export class ReplayedOffsets {
  constructor(
    public next: bigint,
    public ranges: [bigint, bigint][] = [],
  ) {}

  static parse(committed: bigint, metadata: string | null): ReplayedOffsets {
    const ranges: [bigint, bigint][] = [];
    const m = /^replayed:(.*)$/.exec(metadata ?? '');
    if (m?.[1]) {
      for (const part of m[1].split(',')) {
        const [a, b] = part.split('-');
        if (!/^\d+$/.test(a) || (b !== undefined && !/^\d+$/.test(b))) continue;
        ranges.push([BigInt(a), BigInt(b ?? a)]);
      }
    }
    const r = new ReplayedOffsets(committed < 0n ? 0n : committed, ranges);
    r.normalise();
    return r;
  }

  has(offset: bigint): boolean {
    return offset < this.next || this.ranges.some(([a, b]) => offset >= a && offset <= b);
  }

  add(offset: bigint): void {
    if (this.has(offset)) return;
    this.ranges.push([offset, offset]);
    this.normalise();
  }

  /** Records below the log start are gone: they count as done, so the prefix can move past them. */
  skipBelow(logStart: bigint): void {
    if (logStart > this.next) {
      this.next = logStart;
      this.normalise();
    }
  }

  metadata(): string {
    return `replayed:${this.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}`;
  }

  private normalise(): void {
    const sorted = this.ranges.filter(([, b]) => b >= this.next).sort((x, y) => (x[0] < y[0] ? -1 : 1));
    const merged: [bigint, bigint][] = [];
    for (const [a, b] of sorted) {
      const last = merged[merged.length - 1];
      if (last && a <= last[1] + 1n) last[1] = b > last[1] ? b : last[1];
      else merged.push([a, b]);
    }
    while (merged.length > 0 && merged[0][0] <= this.next) {
      const [, b] = merged.shift()!;
      if (b + 1n > this.next) this.next = b + 1n;
    }
    this.ranges = merged;
  }
}

const header = (r: FetchedRecord, key: string): string | null => {
  const h = r.headers.find((x) => x.key === key);
  return h?.value ? h.value.toString() : null;
};

/** A dead letter as read from its topic; records other tools wrote show what can be known. */
export function toDeadLetter(r: FetchedRecord, replayed: boolean): DeadLetter {
  const error = header(r, DLQ_HEADERS.error) ?? '';
  const attempts = Number(header(r, DLQ_HEADERS.attempts));
  const sourceTopic = header(r, DLQ_HEADERS.topic);
  const sourcePartition = header(r, DLQ_HEADERS.partition);
  const sourceOffset = header(r, DLQ_HEADERS.offset);
  // Dead letters written before the reason header existed: the error's class name is its first word.
  const reason = header(r, DLQ_HEADERS.reason) ?? (/^([A-Za-z0-9_.-]+):/.exec(error)?.[1] || 'unknown');
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key,
    value: r.value,
    headers: r.headers.filter((h) => !h.key.startsWith('sluice.dlq.') || h.key === REPLAY_HEADER),
    reason,
    error,
    attempts: Number.isInteger(attempts) && attempts > 0 ? attempts : null,
    source:
      sourceTopic && sourcePartition !== null && sourceOffset !== null && /^\d+$/.test(sourceOffset)
        ? { topic: sourceTopic, partition: Number(sourcePartition), offset: BigInt(sourceOffset) }
        : null,
    replayed,
  };
}

export class DeadLetters {
  readonly cluster: Cluster;
  private readonly admin: Admin;
  private readonly ownsCluster: boolean;

  constructor(options: ClusterOptions | { cluster: Cluster }) {
    ({ cluster: this.cluster, owned: this.ownsCluster } = clusterFor(
      clusterChoice(options),
      'DeadLetters',
      'sluice-dlq',
    ));
    this.admin = new Admin({ cluster: this.cluster });
  }

  /** Topics named `*.dlq` (the runtime's naming), sorted. */
  async topics(): Promise<string[]> {
    const meta = await this.cluster.describeAll();
    return meta.topics
      .filter((t) => t.errorCode === 0 && t.name !== null && t.name.endsWith('.dlq'))
      .map((t) => t.name as string)
      .sort();
  }

  /** Every dead-letter topic with its counts, reasons and replay progress. */
  async list(): Promise<DeadLetterTopicSummary[]> {
    const out: DeadLetterTopicSummary[] = [];
    for (const topic of await this.topics()) out.push(summarise(topic, await this.read(topic)));
    return out;
  }

  async summary(topic: string): Promise<DeadLetterTopicSummary> {
    return summarise(topic, await this.read(topic));
  }

  /**
   * The dead letters of a topic in the selection (all by default), oldest first per partition. Reads the
   * topic from its log start to the high watermark as they stand when called.
   */
  async read(topic: string, selection: Selection = {}): Promise<DeadLetter[]> {
    const meta = await this.cluster.topic(topic);
    const partitions = meta.partitions
      .map((p) => p.partition)
      .filter((p) => selection.partition === undefined || p === selection.partition);
    if (selection.partition !== undefined && partitions.length === 0) {
      throw new KafkaClientError(
        `${topic} has no partition ${selection.partition} (it has ${meta.partitions.length})`,
      );
    }
    const [starts, ends, state] = await Promise.all([
      this.admin.listOffsets(topic, 'earliest', partitions),
      this.admin.listOffsets(topic, 'latest', partitions),
      this.replayState(topic, partitions),
    ]);
    const ranges = partitions.map((partition) => {
      const start = starts.find((s) => s.partition === partition)?.offset ?? 0n;
      const end = ends.find((s) => s.partition === partition)?.offset ?? 0n;
      const from = selection.from !== undefined && selection.from > start ? selection.from : start;
      const to = selection.to !== undefined && selection.to + 1n < end ? selection.to + 1n : end;
      return { partition, from, to };
    });
    const records = await readRange(this.cluster, topic, ranges);
    return records
      .map((r) => toDeadLetter(r, state.get(r.partition)?.has(r.offset) ?? false))
      .filter((d) => selection.reason === undefined || d.reason === selection.reason);
  }

  /**
   * Sends the selected dead letters that were not replayed before back to their source topics, then
   * remembers them as replayed; with `purge`, deletes each partition's replayed prefix (DeleteRecords).
   */
  async replay(
    topic: string,
    selection: Selection = {},
    options: { purge?: boolean; dryRun?: boolean } = {},
  ): Promise<ReplayResult> {
    const letters = await this.read(topic, selection);
    const result: ReplayResult = {
      topic,
      matched: letters.length,
      replayed: 0,
      alreadyReplayed: 0,
      unroutable: 0,
      toTopics: {},
      purged: [],
    };
    const todo: DeadLetter[] = [];
    for (const d of letters) {
      if (d.replayed) result.alreadyReplayed++;
      else if (!d.source) result.unroutable++;
      else todo.push(d);
    }
    if (options.dryRun) {
      for (const d of todo) result.toTopics[d.source!.topic] = (result.toTopics[d.source!.topic] ?? 0) + 1;
      result.replayed = todo.length;
      return result;
    }
    const partitions = [
      ...new Set([...letters.map((d) => d.partition), ...(await this.partitionsOf(topic))]),
    ];
    const state = await this.replayState(topic, partitions);
    if (todo.length > 0) await this.sendBack(topic, todo, state, result);
    const starts = await this.admin.listOffsets(topic, 'earliest', [...state.keys()]);
    for (const s of starts) state.get(s.partition)?.skipBelow(s.offset);
    await this.saveState(topic, state);
    if (options.purge) result.purged = await this.purgeReplayed(topic, starts, state);
    return result;
  }

  /**
   * Produces `todo` to their source topics, marking each delivered one replayed in `state` and counting
   * it in `result`. When some fail, saves what did go out and throws.
   */
  private async sendBack(
    topic: string,
    todo: DeadLetter[],
    state: Map<number, ReplayedOffsets>,
    result: ReplayResult,
  ): Promise<void> {
    const producer = new Producer({
      cluster: this.cluster,
      lingerMs: 0,
      acks: -1,
      autoCreateTopics: false,
    });
    let deliveries: Awaited<ReturnType<Producer['send']>>;
    try {
      deliveries = await producer.send(
        todo.map((d) => ({
          topic: d.source!.topic,
          key: d.key,
          value: d.value,
          headers: [
            ...d.headers.filter((h) => h.key !== REPLAY_HEADER),
            { key: REPLAY_HEADER, value: Buffer.from(`${topic}/${d.partition}@${d.offset}`) },
          ],
        })),
      );
    } finally {
      await producer.close();
    }
    const failed: string[] = [];
    deliveries.forEach((delivery, i) => {
      const d = todo[i];
      if (delivery.status !== 'delivered') {
        failed.push(`${topic}/${d.partition}@${d.offset} to ${d.source!.topic} (${delivery.status})`);
        return;
      }
      state.get(d.partition)?.add(d.offset);
      result.toTopics[d.source!.topic] = (result.toTopics[d.source!.topic] ?? 0) + 1;
      result.replayed++;
    });
    if (failed.length > 0) {
      // Remember what did go out, so retrying the replay sends only the rest.
      await this.saveState(topic, state);
      throw new KafkaClientError(
        `${failed.length} dead letters were not delivered, e.g. ${failed[0]}; the ${result.replayed} delivered are marked replayed, run the replay again for the rest`,
      );
    }
  }

  /** Deletes each partition's replayed prefix (DeleteRecords), where there is one past the log start. */
  private async purgeReplayed(
    topic: string,
    starts: { partition: number; offset: bigint }[],
    state: Map<number, ReplayedOffsets>,
  ): Promise<ReplayResult['purged']> {
    const purge = starts
      .map((s) => ({ partition: s.partition, offset: state.get(s.partition)!.next, start: s.offset }))
      .filter((p) => p.offset > p.start);
    if (purge.length === 0) return [];
    return this.admin.deleteRecords(
      topic,
      purge.map(({ partition, offset }) => ({ partition, offset })),
    );
  }

  close(): void {
    if (this.ownsCluster) this.cluster.close();
  }

  private async partitionsOf(topic: string): Promise<number[]> {
    return (await this.cluster.topic(topic)).partitions.map((p) => p.partition);
  }

  private async replayState(topic: string, partitions: number[]): Promise<Map<number, ReplayedOffsets>> {
    const committed = await this.admin.fetchOffsets(replayGroupOf(topic), [{ topic, partitions }]);
    const state = new Map<number, ReplayedOffsets>();
    for (const p of partitions) {
      const c = committed.find((x) => x.partition === p);
      state.set(p, ReplayedOffsets.parse(c?.offset ?? -1n, c?.metadata ?? null));
    }
    return state;
  }

  private async saveState(topic: string, state: Map<number, ReplayedOffsets>): Promise<void> {
    const offsets = [...state.entries()].map(([partition, s]) => {
      const metadata = s.metadata();
      if (metadata.length > MAX_METADATA) {
        throw new KafkaClientError(
          `${topic}/${partition}: the replayed offsets are too scattered to remember (${metadata.length} bytes of ranges); replay the records between them (e.g. --all) so they join up`,
        );
      }
      return { topic, partition, offset: s.next, metadata };
    });
    const client = new ConsumerClient({ cluster: this.cluster, groupId: replayGroupOf(topic) });
    try {
      await client.commit(offsets);
    } finally {
      client.close();
    }
  }
}

/** Reads [from, to) of each partition, as the offsets stood when asked. */
async function readRange(
  cluster: Cluster,
  topic: string,
  ranges: { partition: number; from: bigint; to: bigint }[],
): Promise<FetchedRecord[]> {
  const wanted = ranges.filter((r) => r.to > r.from);
  if (wanted.length === 0) return [];
  const client = new ConsumerClient({ cluster });
  const until = new Map(wanted.map((r) => [r.partition, r.to]));
  client.assign(wanted.map((r) => ({ topic, partition: r.partition, offset: r.from })));
  const out: FetchedRecord[] = [];
  try {
    await readUntilEnds(client, topic, until, out);
  } finally {
    client.close();
  }
  return out.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
}

async function readUntilEnds(
  client: ConsumerClient,
  topic: string,
  until: Map<number, bigint>,
  out: FetchedRecord[],
): Promise<void> {
  let idle = 0;
  while (until.size > 0) {
    const fetched = await client.poll({ maxBytes: 4 * 1024 * 1024, maxWaitMs: 100 });
    let progress = false;
    for (const fp of fetched) {
      const end = until.get(fp.partition);
      if (end === undefined) continue;
      if (fp.error) throw fp.error;
      for (const r of fp.records) if (r.offset < end) out.push(r);
      if (fp.records.length > 0) progress = true;
      // Also done when the rest of the range was compacted or deleted away meanwhile.
      if (fp.nextOffset >= end || fp.highWatermark <= fp.nextOffset) {
        until.delete(fp.partition);
        client.unassign([{ topic, partition: fp.partition }]);
      }
    }
    idle = progress ? 0 : idle + 1;
    if (idle > 50) throw new KafkaClientError(`reading ${topic}: no progress after 50 fetches`);
  }
}

function summarise(topic: string, letters: DeadLetter[]): DeadLetterTopicSummary {
  const byReason: Record<string, ReasonSummary> = {};
  let oldest: DeadLetter | null = null;
  let newest: DeadLetter | null = null;
  let replayed = 0;
  for (const d of letters) {
    const s = byReason[d.reason] ?? { count: 0, oldest: d.timestamp, newest: d.timestamp };
    s.count++;
    s.oldest = Math.min(s.oldest, d.timestamp);
    s.newest = Math.max(s.newest, d.timestamp);
    byReason[d.reason] = s;
    if (!oldest || d.timestamp < oldest.timestamp) oldest = d;
    if (!newest || d.timestamp >= newest.timestamp) newest = d;
    if (d.replayed) replayed++;
  }
  return {
    topic,
    count: letters.length,
    replayed,
    pending: letters.length - replayed,
    byReason,
    oldest: oldest && { timestamp: oldest.timestamp, reason: oldest.reason },
    newest: newest && { timestamp: newest.timestamp, reason: newest.reason },
  };
}
