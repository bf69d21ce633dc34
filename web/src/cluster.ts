import { get } from './api.js';
import { esc, msAsWords, num } from './format.js';
import type { ConfigsView, GroupsView, LabInfo, Snapshot, TopicsView } from './types.js';

/**
 * What Kafka UI shows for a single node, over the Kafka admin protocol through the monitor: topics
 * with partitions, offsets, sizes, retention and durability; groups with members, assignments,
 * committed offsets and lag.
 */

let lastGroups: GroupsView | null = null;

/** Joins the latest snapshot's committed offsets into the groups already on screen. */
export function refreshGroups(snapshot: Snapshot | null): void {
  if (lastGroups) renderGroups(document.getElementById('groups')!, lastGroups, snapshot);
}

export async function loadCluster(snapshot: Snapshot | null, lab: LabInfo | null): Promise<void> {
  const [topics, groups, configs] = await Promise.all([
    get<TopicsView>('cluster/topics'),
    get<GroupsView>('cluster/groups'),
    get<ConfigsView>('cluster/configs').catch(() => null),
  ]);
  renderBrokers(document.getElementById('brokers')!, topics, configs, lab);
  renderTopics(document.getElementById('topics')!, topics, configs);
  lastGroups = groups;
  renderGroups(document.getElementById('groups')!, groups, snapshot);
}

function durabilityOf(configs: ConfigsView | null, lab: LabInfo | null): string {
  const d = configs?.brokers.find((b) => b.configs['sluice.durability'])?.configs['sluice.durability'];
  if (d === 'memory') return 'memory (nothing on disk)';
  if (d === 'async') return 'async (page cache, periodic fsync)';
  if (d === 'sync') return 'sync (fsync before ack)';
  if (d) return d;
  return lab && !lab.embedded_broker ? 'Kafka (replication + acks)' : '–';
}

function renderBrokers(el: HTMLElement, t: TopicsView, c: ConfigsView | null, lab: LabInfo | null): void {
  const state = (s: TopicsView['brokers'][number]['status']) =>
    s === 'up'
      ? 'up'
      : `<span class="pill critical">${s === 'missing' ? 'down (not in metadata)' : 'unreachable'}</span>`;
  el.innerHTML = `<div class="table-wrap"><table><thead><tr><th>Node</th><th>Address</th><th>State</th><th>Durability</th></tr></thead><tbody>
    ${t.brokers.map((b) => `<tr><td>${b.node_id}</td><td><code>${esc(b.host)}:${b.port}</code></td><td>${state(b.status)}</td><td>${esc(durabilityOf(c, lab))}</td></tr>`).join('')}
    </tbody></table></div>`;
}

function renderTopics(el: HTMLElement, t: TopicsView, c: ConfigsView | null): void {
  const first = el.querySelector('details') === null;
  const open = new Set(
    [...el.querySelectorAll<HTMLDetailsElement>('details[open]')].map((d) => d.dataset.topic),
  );
  // On first sight, the lab's own topics open; the internal ones stay folded (and last).
  if (first) for (const x of t.topics) if (!x.internal) open.add(x.name);
  const rows = [...t.topics]
    .sort((a, b) => Number(a.internal) - Number(b.internal))
    .map((topic) => {
      const cfg = c?.topics.find((x) => x.name === topic.name);
      const retention = cfg?.configs['retention.ms'];
      const retBytes = cfg?.configs['retention.bytes'];
      const maxEnd = Math.max(1, ...topic.partition_details.map((p) => p.messages ?? 0));
      const parts = topic.partition_details
        .map(
          (
            p,
          ) => `<tr><td>${p.partition}</td><td>${p.leader < 0 ? '<span class="pill critical">none</span>' : p.leader}</td><td class="n">${num(p.log_start_offset)}</td><td class="n">${num(p.log_end_offset)}</td>
          <td class="n">${num(p.messages)}</td><td class="bar-cell"><span class="bar" style="width:${(((p.messages ?? 0) / maxEnd) * 100).toFixed(1)}%"></span></td></tr>`,
        )
        .join('');
      return `<details data-topic="${esc(topic.name)}"${open.has(topic.name) ? ' open' : ''}>
        <summary><b>${esc(topic.name)}</b>${topic.internal ? ' <span class="tag">internal</span>' : ''}
          <span class="facts"><span>${topic.partitions} partitions</span><span>${num(topic.messages)} messages</span>
          <span>retention ${esc(msAsWords(retention))}${retBytes && retBytes !== '-1' ? ` / ${esc(retBytes)} B` : ''}</span>
          ${cfg ? `<span>cleanup ${esc(cfg.configs['cleanup.policy'] ?? 'delete')}</span><span>replicas ${cfg.replication_factor}</span>` : ''}</span></summary>
        <div class="table-wrap"><table><thead><tr><th>Partition</th><th>Leader</th><th class="n">Start offset</th><th class="n">End offset</th><th class="n">Messages</th><th></th></tr></thead>
        <tbody>${parts}</tbody></table></div></details>`;
    })
    .join('');
  el.innerHTML = rows || '<p class="muted">No topics.</p>';
}

function renderGroups(el: HTMLElement, g: GroupsView, snapshot: Snapshot | null): void {
  const parts = snapshot?.lag.partitions ?? [];
  const html = g.groups
    .map((group) => {
      const mine = parts.filter((p) => p.group === group.group);
      const ownerOf = (memberId: string | undefined) =>
        group.members.find((m) => m.member_id === memberId)?.client_id ?? '–';
      const members = group.members
        .map(
          (m) => `<tr><td><code>${esc(m.client_id)}</code></td><td>${esc(m.host)}</td>
          <td>${m.partitions.map((p) => `<span class="chip">${esc(p.topic)}-${p.partition}</span>`).join(' ') || '<span class="muted">none</span>'}</td></tr>`,
        )
        .join('');
      const offsets = mine
        .map(
          (
            p,
          ) => `<tr><td>${esc(p.topic)}-${p.partition}</td><td class="n">${num(p.committed_offset)}</td><td class="n">${num(p.log_end_offset)}</td>
          <td class="n">${num(p.lag)}</td><td class="n">${p.lag_seconds === null ? '–' : `${num(p.lag_seconds, 1)} s`}</td><td><span class="pill s${p.status_code}">${esc(p.status)}</span></td><td>${esc(ownerOf(p.owner?.member_id))}</td></tr>`,
        )
        .join('');
      return `<div class="group">
        <div class="group-head"><b>${esc(group.group)}</b> <span class="tag">${esc(group.state)}</span>
          ${group.status ? `<span class="pill ${group.status}">${group.status}</span>` : ''}
          <span class="facts"><span>${group.members.length} members</span><span>lag ${num(group.total_lag)}</span></span></div>
        <div class="table-wrap"><table><thead><tr><th>Member</th><th>Host</th><th>Assigned</th></tr></thead><tbody>${members || '<tr><td colspan="3" class="muted">no members</td></tr>'}</tbody></table></div>
        ${offsets ? `<div class="table-wrap"><table><thead><tr><th>Partition</th><th class="n">Committed</th><th class="n">End offset</th><th class="n">Lag</th><th class="n">Lag (time)</th><th>Status</th><th>Owner</th></tr></thead><tbody>${offsets}</tbody></table></div>` : '<p class="muted small">Not watched by this monitor: no committed offsets shown.</p>'}
      </div>`;
    })
    .join('');
  el.innerHTML = html || '<p class="muted">No consumer groups.</p>';
}
