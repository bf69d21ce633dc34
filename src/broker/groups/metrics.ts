import { Counter, Gauge, type Registry } from 'prom-client';
import type { GroupState } from './group.js';

interface GroupSnapshot {
  groupId: string;
  state: GroupState;
  members: number;
  generationId: number;
}

/** The coordinator's Prometheus series, registered on the broker's registry. */
export class GroupMetrics {
  readonly rebalances: Counter<'group'>;
  readonly commits: Counter<'group'>;
  readonly expiredMembers: Counter<'group'>;
  readonly expiredOffsets: Counter<'group'>;

  constructor(registry: Registry, snapshot: () => GroupSnapshot[]) {
    const registers = [registry];
    this.rebalances = new Counter({
      name: 'sluice_group_rebalances_total',
      help: 'Rebalances started, per consumer group',
      labelNames: ['group'],
      registers,
    });
    this.commits = new Counter({
      name: 'sluice_group_offset_commits_total',
      help: 'Partition offsets committed (durably written to __consumer_offsets), per consumer group',
      labelNames: ['group'],
      registers,
    });
    this.expiredMembers = new Counter({
      name: 'sluice_group_member_expirations_total',
      help: 'Members removed because their session timed out or they missed a rebalance',
      labelNames: ['group'],
      registers,
    });
    this.expiredOffsets = new Counter({
      name: 'sluice_group_offsets_expired_total',
      help: 'Committed offsets deleted by retention (tombstoned in __consumer_offsets)',
      labelNames: ['group'],
      registers,
    });
    new Gauge({
      name: 'sluice_group_members',
      help: 'Members of each consumer group',
      labelNames: ['group', 'state'],
      registers,
      collect() {
        this.reset();
        for (const g of snapshot()) this.set({ group: g.groupId, state: g.state }, g.members);
      },
    });
    new Gauge({
      name: 'sluice_group_generation',
      help: 'Current generation of each consumer group',
      labelNames: ['group'],
      registers,
      collect() {
        this.reset();
        for (const g of snapshot()) this.set({ group: g.groupId }, g.generationId);
      },
    });
  }
}
