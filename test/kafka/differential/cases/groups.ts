import { ApiKey } from '../../../../src/protocol/api-keys.js';
import type { DiffCase, Step } from '../script.js';
import {
  coordinatorReady,
  createTopic,
  describeGroup,
  findCoordinator,
  heartbeat,
  joinGroup,
  leaveGroup,
  newTopic,
  offsetCommit,
  offsetFetch,
  subscription,
  syncGroup,
  V,
} from './steps.js';

const assignment = Buffer.from('00000000000000000000', 'hex');

/** Join (MEMBER_ID_REQUIRED, then again with the id) and sync as the only member: a Stable group. */
function joinAlone(member: string, conn = 'main'): Step[] {
  return [
    joinGroup(`${member} join without id`, {}, { conn, save: { [member]: 'memberId' } }),
    joinGroup(
      `${member} join`,
      { memberId: `{{var:${member}}}` },
      { conn, save: { [`${member}gen`]: 'generationId' } },
    ),
    syncGroup(`${member} sync`, `{{var:${member}}}`, `{{var:${member}gen}}`, [
      { memberId: `{{var:${member}}}`, assignment },
    ]),
  ];
}

export const groupCases: DiffCase[] = [
  {
    name: 'group-lifecycle',
    title: 'a member joins (member id required first), syncs, heartbeats, commits, leaves',
    steps: [
      ...newTopic(),
      ...coordinatorReady(),
      ...joinAlone('m1'),
      heartbeat('heartbeat', '{{var:m1}}', '{{var:m1gen}}'),
      describeGroup('describe stable'),
      offsetCommit('commit', '{{var:m1}}', '{{var:m1gen}}', 2),
      offsetFetch('fetch committed'),
      leaveGroup('leave', [{ memberId: '{{var:m1}}' }]),
      describeGroup('describe after leave'),
      offsetFetch('fetch committed after leave'),
    ],
  },
  {
    name: 'group-unknown-member',
    title: 'heartbeat, sync, commit and leave by a member id the group does not know',
    steps: [
      ...newTopic(),
      ...coordinatorReady(),
      heartbeat('heartbeat, no such group', 'nobody', 1),
      syncGroup('sync, no such group', 'nobody', 1, []),
      ...joinAlone('m1'),
      heartbeat('heartbeat unknown member', 'nobody', '{{var:m1gen}}'),
      heartbeat('heartbeat empty member id', '', '{{var:m1gen}}'),
      syncGroup('sync unknown member', 'nobody', '{{var:m1gen}}', []),
      offsetCommit('commit unknown member', 'nobody', '{{var:m1gen}}', 1),
      leaveGroup('leave unknown member', [{ memberId: 'nobody' }]),
      {
        // Before v3 a leave names one member at the top level and the error is the response's own.
        name: 'leave unknown member (v1)',
        apiKey: ApiKey.LeaveGroup,
        version: 1,
        body: { groupId: '{{group}}', memberId: 'nobody' },
      },
      joinGroup('join with an unknown member id', { memberId: 'nobody' }),
      describeGroup('describe'),
      ...coordinatorReady('{{group:none}}'),
      leaveGroup('leave, no such group', [{ memberId: 'nobody' }], '{{group:none}}'),
    ],
  },
  {
    name: 'group-illegal-generation',
    title: 'heartbeat, sync and commit with a generation the group is not at',
    steps: [
      ...newTopic(),
      ...coordinatorReady(),
      ...joinAlone('m1'),
      heartbeat('heartbeat generation 99', '{{var:m1}}', 99),
      syncGroup('sync generation 99', '{{var:m1}}', 99, []),
      offsetCommit('commit generation 99', '{{var:m1}}', 99, 1),
      offsetCommit('simple commit (generation -1) to a live group', '', -1, 1),
      heartbeat('heartbeat generation 1 still fine', '{{var:m1}}', '{{var:m1gen}}'),
    ],
  },
  {
    name: 'group-rebalance',
    title: 'a second member joins: the first sees REBALANCE_IN_PROGRESS, rejoins, both sync generation 2',
    steps: [
      ...newTopic(),
      ...coordinatorReady(),
      ...joinAlone('m1', 'a'),
      joinGroup('m2 join without id', {}, { conn: 'b', save: { m2: 'memberId' } }),
      joinGroup(
        'm2 join',
        { memberId: '{{var:m2}}' },
        { conn: 'b', async: true, save: { m2gen: 'generationId' } },
      ),
      describeGroup('describe until preparing', {
        retryWhile: { path: 'groups.0.groupState', in: ['Stable'] },
      }),
      heartbeat('m1 heartbeat during rebalance', '{{var:m1}}', '{{var:m1gen}}'),
      offsetCommit('m1 commit during rebalance', '{{var:m1}}', '{{var:m1gen}}', 1),
      syncGroup('m1 sync old generation during rebalance', '{{var:m1}}', '{{var:m1gen}}', []),
      joinGroup('m1 rejoin', { memberId: '{{var:m1}}' }, { conn: 'a', async: true }),
      { await: 'm2 join' },
      { await: 'm1 rejoin' },
      syncGroup('m2 sync (follower)', '{{var:m2}}', '{{var:m2gen}}', [], {}, { conn: 'b', async: true }),
      syncGroup('m1 sync (leader)', '{{var:m1}}', '{{var:m2gen}}', [
        { memberId: '{{var:m1}}', assignment },
        { memberId: '{{var:m2}}', assignment },
      ]),
      { await: 'm2 sync (follower)' },
      describeGroup('describe stable at generation 2'),
      heartbeat('m1 heartbeat old generation', '{{var:m1}}', '{{var:m1gen}}'),
      leaveGroup('both leave', [{ memberId: '{{var:m1}}' }, { memberId: '{{var:m2}}' }]),
    ],
  },
  {
    name: 'group-static-fenced',
    title: 'static membership: a second join with the same group.instance.id fences the first member id',
    steps: [
      ...newTopic(),
      ...coordinatorReady(),
      joinGroup('s1 join', { instance: '{{instance:a}}' }, { save: { s1: 'memberId', gen: 'generationId' } }),
      syncGroup('s1 sync', '{{var:s1}}', '{{var:gen}}', [{ memberId: '{{var:s1}}', assignment }], {
        instance: '{{instance:a}}',
      }),
      joinGroup(
        's1 again as a new process',
        { instance: '{{instance:a}}' },
        { save: { s2: 'memberId', gen2: 'generationId' } },
      ),
      heartbeat('old member id heartbeats', '{{var:s1}}', '{{var:gen}}', { instance: '{{instance:a}}' }),
      offsetCommit('old member id commits', '{{var:s1}}', '{{var:gen}}', 1, { instance: '{{instance:a}}' }),
      syncGroup('old member id syncs', '{{var:s1}}', '{{var:gen}}', [], { instance: '{{instance:a}}' }),
      heartbeat('new member id heartbeats', '{{var:s2}}', '{{var:gen2}}', { instance: '{{instance:a}}' }),
      leaveGroup('old member id leaves', [{ memberId: '{{var:s1}}', groupInstanceId: '{{instance:a}}' }]),
      describeGroup('describe'),
      leaveGroup('instance leaves by instance id alone', [
        { memberId: '', groupInstanceId: '{{instance:a}}' },
      ]),
      describeGroup('describe after leave'),
    ],
  },
  {
    name: 'group-join-errors',
    title: 'session timeout out of bounds, inconsistent protocols, bad group id',
    steps: [
      ...newTopic(),
      ...coordinatorReady(),
      joinGroup('session timeout 1 ms', { sessionTimeoutMs: 1 }),
      joinGroup('session timeout one hour', { sessionTimeoutMs: 3_600_000 }),
      joinGroup('empty group id', { group: '' }),
      ...joinAlone('m1'),
      joinGroup('other protocol type', { protocolType: 'connect' }),
      joinGroup('no common protocol', { protocols: [{ name: 'roundrobin', metadata: subscription('t') }] }),
      describeGroup('describe unchanged'),
      findCoordinator('find coordinator, empty key', ''),
    ],
  },
  {
    name: 'group-delete-and-commit',
    title: 'simple (generation -1) commits, DeleteGroups for live, empty and unknown groups',
    steps: [
      ...newTopic(),
      ...coordinatorReady(),
      ...coordinatorReady('{{group:simple}}'),
      ...coordinatorReady('{{group:never}}'),
      ...coordinatorReady('{{group:unknown}}'),
      offsetCommit('simple commit to a new group', '', -1, 3, { group: '{{group:simple}}' }),
      offsetFetch('fetch simple commit', { group: '{{group:simple}}' }),
      offsetCommit('commit with 5000 bytes of metadata', '', -1, 4, {
        group: '{{group:simple}}',
        metadata: 'm'.repeat(5000),
      }),
      offsetFetch('fetch from a group that never committed', { group: '{{group:never}}' }),
      offsetCommit('commit to an unknown partition', '', -1, 3, {
        group: '{{group:simple}}',
        topic: '{{topic:missing}}',
      }),
      ...joinAlone('m1'),
      {
        name: 'delete live, empty and unknown groups',
        apiKey: ApiKey.DeleteGroups,
        version: V.deleteGroups,
        body: { groupsNames: ['{{group}}', '{{group:simple}}', '{{group:unknown}}'] },
      },
      offsetFetch('fetch deleted group', { group: '{{group:simple}}' }),
      describeGroup('describe unknown group', {}, '{{group:unknown}}'),
    ],
  },
  {
    name: 'offset-delete',
    title: 'OffsetDelete: a simple group, an unknown group, a topic an active member subscribes to',
    steps: [
      ...newTopic(),
      // joinAlone subscribes to topic "t" (the subscription blob names it literally), so the case makes it.
      createTopic('t'),
      ...coordinatorReady(),
      ...coordinatorReady('{{group:simple}}'),
      ...coordinatorReady('{{group:unknown}}'),
      offsetCommit('simple commit', '', -1, 3, { group: '{{group:simple}}' }),
      offsetDelete('delete an unknown topic', '{{group:simple}}', '{{topic:missing}}'),
      offsetDelete("delete the simple group's offset", '{{group:simple}}', '{{topic}}'),
      offsetFetch('fetch the deleted offset', { group: '{{group:simple}}' }),
      offsetDelete('delete from an unknown group', '{{group:unknown}}', '{{topic}}'),
      ...joinAlone('m1'),
      offsetCommit('member commit', '{{var:m1}}', '{{var:m1gen}}', 2),
      offsetDelete('delete a subscribed topic', '{{group}}', 't'),
      offsetDelete('delete a topic nobody subscribes to', '{{group}}', '{{topic}}'),
      offsetFetch('fetch after deleting the unsubscribed topic'),
    ],
  },
];

function offsetDelete(name: string, group: string, topic: string): Step {
  return {
    name,
    apiKey: ApiKey.OffsetDelete,
    version: 0,
    body: { groupId: group, topics: [{ name: topic, partitions: [{ partitionIndex: 0 }] }] },
  };
}
