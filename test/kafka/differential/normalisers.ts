import { ZERO_UUID } from '../../../src/protocol/messages.js';
import { decodeRecords, iterateBatches } from '../../../src/protocol/record-batch.js';
import type { RunContext, Transcript } from './runner.js';

/**
 * The named normalisers: the ONLY fields that may differ between Kafka and Sluice without being declared
 * in intended.ts, because their values are identities or clocks each broker picks for itself. Each one
 * says which fields it touches and what it keeps comparable (a placeholder still shows whether the value
 * was set, and an alias still shows whether two fields held the same identity).
 */
export interface Normaliser {
  name: string;
  why: string;
  /** Returns the replacement for `value` at property `key`, or undefined to leave it alone. */
  apply(key: string, value: unknown, state: NormaliseState): unknown;
}

/** Per-transcript state: generated names, and aliases numbered in order of first appearance. */
export interface NormaliseState {
  names: Map<string, string>;
  aliases: Map<string, Map<string, string>>;
  ctx: RunContext;
}

function alias(state: NormaliseState, kind: string, value: string): string {
  let table = state.aliases.get(kind);
  if (!table) state.aliases.set(kind, (table = new Map()));
  let name = table.get(value);
  if (!name) table.set(value, (name = `<${kind}-${table.size + 1}>`));
  return name;
}

const NODE_KEYS = new Set(['nodeId', 'brokerId', 'controllerId', 'leaderId', 'coordinatorId']);

export const NORMALISERS: readonly Normaliser[] = [
  {
    name: 'names',
    why: 'topic, group and instance names carry a per-run suffix; they become their {{placeholder}}',
    apply: (_key, value, s) => (typeof value === 'string' ? s.names.get(value) : undefined),
  },
  {
    name: 'throttle',
    why: 'throttle_time_ms depends on quotas and load, not on protocol behaviour',
    apply: (key, value) => (key === 'throttleTimeMs' && typeof value === 'number' ? 0 : undefined),
  },
  {
    name: 'cluster-id',
    why: 'each cluster has its own random id; null stays null',
    apply: (key, value) => (key === 'clusterId' && typeof value === 'string' ? '<cluster-id>' : undefined),
  },
  {
    name: 'node',
    why: 'node ids, hosts and ports are per deployment (Kafka node 1 on a random port, Sluice node 0); -1 ("none") stays',
    apply: (key, value) => {
      if (NODE_KEYS.has(key) && typeof value === 'number' && value >= 0) return '<node>';
      if ((key === 'replicaNodes' || key === 'isrNodes') && Array.isArray(value))
        return value.map(() => '<node>');
      if (key === 'host' && typeof value === 'string') return '<host>';
      if (key === 'port' && typeof value === 'number' && value > 0) return '<port>';
      return undefined;
    },
  },
  {
    name: 'topic-id',
    why: 'topic ids are random; the zero id ("none") stays, and the same id reads as the same alias',
    apply: (key, value, s) =>
      key === 'topicId' && typeof value === 'string' && value !== ZERO_UUID
        ? alias(s, 'topic-id', value)
        : undefined,
  },
  {
    name: 'member-id',
    why: 'member ids embed a random UUID; aliases keep "the same member" comparable across fields',
    apply: (key, value, s) =>
      (key === 'memberId' || key === 'leader') && typeof value === 'string' && value !== ''
        ? alias(s, 'member', value)
        : undefined,
  },
  {
    name: 'producer-id',
    why: 'producer ids are allocated per cluster; -1 ("none") stays',
    apply: (key, value, s) =>
      key === 'producerId' && typeof value === 'bigint' && value >= 0n
        ? alias(s, 'producer', value.toString())
        : undefined,
  },
  {
    name: 'append-time',
    why: "a log append time (and a transaction marker's timestamp) is the broker clock at the write; checked to lie between T0 and now, -1 stays",
    apply: (key, value, s) =>
      key === 'logAppendTimeMs' && typeof value === 'bigint' && value !== -1n
        ? appendTime(value, s)
        : undefined,
  },
  {
    name: 'version-table',
    why: 'each broker advertises its own ranges (docs/compatibility.md has ours); kept: a non-empty table listing ApiVersions',
    apply: (key, value) =>
      key === 'apiKeys' && Array.isArray(value)
        ? `<version table${value.some((e) => e.apiKey === 18) ? ' listing ApiVersions' : ' WITHOUT ApiVersions'}>`
        : undefined,
  },
  {
    name: 'error-message',
    why: 'texts differ in wording, and "no message" is null, "" or "NONE" depending on the API in Kafka; kept: whether there is a message',
    apply: (key, value) =>
      (key === 'errorMessage' || key === 'batchIndexErrorMessage') &&
      (typeof value === 'string' || value === null)
        ? value === null || value === '' || value === 'NONE'
          ? '<none>'
          : '<message>'
        : undefined,
  },
];

function appendTime(value: bigint, s: NormaliseState): string {
  return value >= s.ctx.t0 && value <= BigInt(Date.now())
    ? '<append-time>'
    : `<append-time out of run: ${value}>`;
}

/**
 * A record set as the fields a client reads: each batch's offsets, timestamps and attributes, and each
 * record. Byte-level fields that only restate others (CRC, lengths) are left out; a LogAppendTime batch's
 * broker-set timestamp, and a transaction marker's (the coordinator stamps it), go through the append-time rule.
 */
async function decodeRecordSet(bytes: Buffer, s: NormaliseState): Promise<unknown> {
  const batches: unknown[] = [];
  for (const { buf, header } of iterateBatches(bytes)) {
    const brokerTime = header.attributes.timestampType === 'LogAppendTime' || header.attributes.control;
    const time = (t: bigint) => (brokerTime ? appendTime(t, s) : t);
    const records = await decodeRecords(buf);
    batches.push({
      baseOffset: header.baseOffset,
      lastOffsetDelta: header.lastOffsetDelta,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      attributes: header.rawAttributes,
      baseTimestamp: header.attributes.control ? time(header.baseTimestamp) : header.baseTimestamp,
      maxTimestamp: time(header.maxTimestamp),
      producerId:
        header.producerId >= 0n ? alias(s, 'producer', header.producerId.toString()) : header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      records: records.map((r) => ({
        offset: r.offset,
        timestamp: time(r.timestamp),
        key: r.key?.toString('utf8') ?? null,
        value: r.value?.toString('utf8') ?? null,
        headers: r.headers.map((h) => ({ key: h.key, value: h.value?.toString('utf8') ?? null })),
      })),
    });
  }
  return { batches, bytes: bytes.length };
}

/**
 * The 'unordered' normaliser: arrays that Kafka's message definitions key by a field (mapKey) or that a
 * coordinator fills from a hash map, so their order is not part of the protocol. Sorted by that field
 * after the other normalisers ran (member ids are aliases by then, numbered in order of first appearance).
 */
/** The rules applied by structure rather than by field, listed with the named ones in docs/compatibility.md. */
export const STRUCTURAL_NORMALISERS: ReadonlyArray<{ name: string; why: string }> = [
  {
    name: 'unordered',
    why: 'arrays Kafka keys by a field or fills from a hash map (members, DeleteGroups results, partitions, topic responses) are sorted by that field',
  },
  {
    name: 'records',
    why: 'record sets are decoded to the fields a client reads (offsets, timestamps, attributes, producer fields, keys, values, headers) plus their byte length; other bytes are compared as hex',
  },
];

const UNORDERED: Record<string, string> = {
  members: 'memberId',
  results: 'groupId',
  partitions: 'partitionIndex',
  responses: 'name',
};

function compareBy(a: unknown, b: unknown, field: string): number {
  const ka = String((a as Record<string, unknown>)?.[field]);
  const kb = String((b as Record<string, unknown>)?.[field]);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Applies every normaliser to a response tree; record sets are decoded, other bytes become hex. */
async function normaliseValue(key: string, value: unknown, s: NormaliseState): Promise<unknown> {
  for (const n of NORMALISERS) {
    const replaced = n.apply(key, value, s);
    if (replaced !== undefined) return replaced;
  }
  if (Buffer.isBuffer(value)) {
    return key === 'records' && value.length > 0 ? decodeRecordSet(value, s) : `0x${value.toString('hex')}`;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const [i, v] of value.entries()) out.push(await normaliseValue(String(i), v, s));
    const sortKey = UNORDERED[key];
    return sortKey ? out.sort((a, b) => compareBy(a, b, sortKey)) : out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await normaliseValue(k, v, s);
    return out;
  }
  return value;
}

/** The transcript as compared: each step's outcome with the normalisers applied. */
export async function normalise(
  t: Transcript,
  ctx: RunContext,
): Promise<Array<{ name: string; outcome: unknown }>> {
  const state: NormaliseState = { names: t.names, aliases: new Map(), ctx };
  const out: Array<{ name: string; outcome: unknown }> = [];
  for (const step of t.steps)
    out.push({ name: step.name, outcome: await normaliseValue('', step.outcome, state) });
  return out;
}
