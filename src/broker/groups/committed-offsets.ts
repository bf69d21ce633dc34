import type { OffsetCommitValue } from './offsets-topic-format.js';

export interface CommittedOffset extends OffsetCommitValue {
  topic: string;
  partition: number;
}

/**
 * The committed offsets of every group, in memory. It is a cache of `__consumer_offsets`: the coordinator
 * changes it only after the matching record is durable, and rebuilds it from that topic on start.
 */
export class CommittedOffsets {
  private readonly byGroup = new Map<string, Map<string, CommittedOffset>>();

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(group)?.get(slot(topic, partition));
  }

  put(group: string, committed: CommittedOffset): void {
    let offsets = this.byGroup.get(group);
    if (!offsets) this.byGroup.set(group, (offsets = new Map()));
    offsets.set(slot(committed.topic, committed.partition), committed);
  }

  delete(group: string, topic: string, partition: number): void {
    const offsets = this.byGroup.get(group);
    if (!offsets) return;
    offsets.delete(slot(topic, partition));
    if (offsets.size === 0) this.byGroup.delete(group);
  }

  deleteGroup(group: string): CommittedOffset[] {
    const removed = this.all(group);
    this.byGroup.delete(group);
    return removed;
  }

  /** Every committed offset of the group, ordered by topic then partition. */
  all(group: string): CommittedOffset[] {
    return [...(this.byGroup.get(group)?.values() ?? [])].sort((a, b) =>
      a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
    );
  }

  has(group: string): boolean {
    return (this.byGroup.get(group)?.size ?? 0) > 0;
  }

  groups(): string[] {
    return [...this.byGroup.keys()];
  }
}

function slot(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
