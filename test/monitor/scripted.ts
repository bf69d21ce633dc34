import type { VirtualClock } from '../../src/flow/clock.js';
import type { LagSource } from '../../src/monitor/monitor.js';
import type { GroupObservation, Observation } from '../../src/monitor/observation.js';

/**
 * A scripted offset history: the test moves log ends and committed offsets by hand between cycles,
 * on a VirtualClock, and the monitor observes them exactly as it would a cluster's.
 */
export class ScriptedGroup {
  readonly ends = new Map<string, number>();
  readonly commits = new Map<string, number | null>();
  readonly timestamps = new Map<string, number>();
  members: GroupObservation['members'] = [];
  state = 'Empty';

  constructor(
    readonly groupId: string,
    readonly topic: string,
    partitions: number,
  ) {
    for (let p = 0; p < partitions; p++) {
      this.ends.set(`${p}`, 0);
      this.commits.set(`${p}`, null);
    }
  }

  produce(partition: number, n: number): void {
    this.ends.set(`${partition}`, (this.ends.get(`${partition}`) ?? 0) + n);
  }

  commit(partition: number, offset: number): void {
    this.commits.set(`${partition}`, offset);
  }

  /** A live member owning every partition. */
  join(memberId = 'm-1'): void {
    this.state = 'Stable';
    this.members = [
      {
        memberId,
        clientId: 'c',
        host: '/127.0.0.1',
        assignment: [{ topic: this.topic, partitions: [...this.ends.keys()].map(Number) }],
      },
    ];
  }

  leave(): void {
    this.state = 'Empty';
    this.members = [];
  }

  observe(): GroupObservation {
    return {
      groupId: this.groupId,
      state: this.state,
      members: this.members,
      partitions: [...this.ends.entries()].map(([p, end]) => ({
        topic: this.topic,
        partition: Number(p),
        logStart: 0,
        logEnd: end,
        committed: this.commits.get(p) ?? null,
        committedRecordTimestamp: this.timestamps.get(p),
      })),
    };
  }
}

export class ScriptedSource implements LagSource {
  readonly groups: ScriptedGroup[] = [];
  constructor(private readonly clock: VirtualClock) {}

  group(groupId: string, topic: string, partitions = 1): ScriptedGroup {
    const g = new ScriptedGroup(groupId, topic, partitions);
    this.groups.push(g);
    return g;
  }

  async observe(): Promise<Observation> {
    return { at: this.clock.now(), groups: this.groups.map((g) => g.observe()), durationMs: 1, errors: [] };
  }
}
