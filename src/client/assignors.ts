import type { Subscription, TopicPartitions } from '../protocol/consumer-protocol.js';

/**
 * Partition assignors, computed by the group leader. Both follow the Java client's algorithms, so a
 * Sluice leader assigns exactly like a Java, librdkafka or kafka-python leader given the same members.
 */

export interface AssignorMember {
  memberId: string;
  subscription: Subscription;
}

/** memberId -> its partitions, topics and partitions in ascending order. */
export type GroupAssignment = Map<string, TopicPartitions[]>;

export interface Assignor {
  /** The protocol name sent in JoinGroup ("range", "roundrobin": the names Java and librdkafka use). */
  readonly name: string;
  assign(
    members: readonly AssignorMember[],
    partitionsPerTopic: ReadonlyMap<string, number>,
  ): GroupAssignment;
}

function collect(members: readonly AssignorMember[]): Map<string, Map<string, number[]>> {
  const out = new Map<string, Map<string, number[]>>();
  for (const m of members) out.set(m.memberId, new Map());
  return out;
}

function finish(raw: Map<string, Map<string, number[]>>): GroupAssignment {
  const out: GroupAssignment = new Map();
  for (const [member, topics] of raw) {
    out.set(
      member,
      [...topics.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([topic, partitions]) => ({ topic, partitions: partitions.sort((x, y) => x - y) })),
    );
  }
  return out;
}

const byId = (a: AssignorMember, b: AssignorMember) =>
  a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;

/**
 * Range: per topic, the subscribed members (sorted by id) each take a contiguous range; the first
 * `partitions % members` take one extra.
 */
export const rangeAssignor: Assignor = {
  name: 'range',
  assign(members, partitionsPerTopic) {
    const raw = collect(members);
    const topics = [...partitionsPerTopic.keys()].sort();
    for (const topic of topics) {
      const count = partitionsPerTopic.get(topic) ?? 0;
      const subscribers = members.filter((m) => m.subscription.topics.includes(topic)).sort(byId);
      if (subscribers.length === 0 || count <= 0) continue;
      const per = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      subscribers.forEach((m, i) => {
        const start = per * i + Math.min(i, extra);
        const length = per + (i < extra ? 1 : 0);
        if (length === 0) return;
        raw.get(m.memberId)!.set(
          topic,
          Array.from({ length }, (_, k) => start + k),
        );
      });
    }
    return finish(raw);
  },
};

/**
 * Round robin: all partitions of all subscribed topics (sorted by topic, then partition) are dealt in
 * turn to the members (sorted by id), skipping members not subscribed to that topic.
 */
export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  assign(members, partitionsPerTopic) {
    const raw = collect(members);
    const sorted = [...members].sort(byId);
    if (sorted.length === 0) return finish(raw);
    const topics = [...partitionsPerTopic.keys()]
      .filter((t) => members.some((m) => m.subscription.topics.includes(t)))
      .sort();
    let next = 0;
    for (const topic of topics) {
      const count = partitionsPerTopic.get(topic) ?? 0;
      for (let p = 0; p < count; p++) {
        for (let tries = 0; tries < sorted.length; tries++) {
          const m = sorted[next];
          next = (next + 1) % sorted.length;
          if (!m.subscription.topics.includes(topic)) continue;
          const mine = raw.get(m.memberId)!;
          const list = mine.get(topic);
          if (list) list.push(p);
          else mine.set(topic, [p]);
          break;
        }
      }
    }
    return finish(raw);
  },
};

export const builtinAssignors: Record<string, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
};
