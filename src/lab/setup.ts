import { Admin } from '../client/admin.js';
import { ConsumerClient } from '../client/consumer-client.js';
import { KafkaBrokerError } from '../client/errors.js';
import type { ClientSecurity } from '../client/security.js';
import type { Clock } from '../flow/clock.js';

/**
 * What every lab service makes sure of before it starts, so each can run alone against a fresh broker
 * in any order: the topic exists with the lab's partition count (auto-creation would give the broker's
 * default, often 1, and a consumer that joined before the topic existed would sit without partitions),
 * and a fresh group has a starting offset to count lag from.
 */

const TOPIC_ALREADY_EXISTS = 36;

export async function ensureTopic(
  brokers: string[],
  topic: string,
  partitions: number,
  clock?: Clock,
  security?: ClientSecurity,
): Promise<void> {
  const admin = new Admin({ brokers, clientId: 'sluice-lab-admin', clock, security });
  try {
    await admin.createTopics([{ topic, numPartitions: partitions }]);
  } catch (err) {
    // A restarted lab on the same data directory, or a cluster where the topic was prepared.
    if (!(err instanceof KafkaBrokerError && err.code === TOPIC_ALREADY_EXISTS)) throw err;
  } finally {
    admin.close();
  }
}

/**
 * A group that never committed has no lag to report (Kafka's tools show "-"), yet the lab's exercise 1
 * expects lag to count from the first order. While the group is still empty, commit the log start of
 * every partition that has no offset yet. A group with live members refuses such commits; then its
 * members' own commits already do the job, and this is skipped.
 */
export async function commitStartOffsets(
  brokers: string[],
  topic: string,
  groupId: string,
  clock?: Clock,
  security?: ClientSecurity,
): Promise<void> {
  const admin = new Admin({ brokers, clientId: 'sluice-lab-admin', clock, security });
  const client = new ConsumerClient({ cluster: admin.cluster, groupId });
  try {
    const meta = await admin.cluster.topic(topic);
    const all = meta.partitions.map((p) => p.partition);
    const committed = await admin.fetchOffsets(groupId, [{ topic, partitions: all }]);
    const have = new Set(committed.filter((c) => c.offset >= 0n).map((c) => c.partition));
    const missing = all.filter((p) => !have.has(p));
    if (missing.length === 0) return;
    const starts = await admin.listOffsets(topic, 'earliest', missing);
    await client.commit(starts.map((s) => ({ topic, partition: s.partition, offset: s.offset })));
  } catch (err) {
    if (!(err instanceof KafkaBrokerError)) throw err;
  } finally {
    client.close();
    admin.close();
  }
}
