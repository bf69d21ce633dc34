import { ApiKey } from '../../../../src/protocol/api-keys.js';
import type { DiffCase, Step } from '../script.js';
import { fetch, heartbeat, listOffsets, newTopic, produce, V } from './steps.js';

export const versionCases: DiffCase[] = [
  {
    name: 'api-versions',
    title: 'ApiVersions at a version both serve, and at one neither serves (v0 layout, UNSUPPORTED_VERSION)',
    steps: [
      {
        name: 'ApiVersions v3',
        apiKey: ApiKey.ApiVersions,
        version: 3,
        body: { clientSoftwareName: 'sluice-diff', clientSoftwareVersion: '1.0' },
      },
      {
        name: 'ApiVersions v0',
        apiKey: ApiKey.ApiVersions,
        version: 0,
        body: {},
      },
      {
        name: 'ApiVersions v127',
        apiKey: ApiKey.ApiVersions,
        version: 3,
        wireVersion: 127,
        decodeAs: 0,
        body: { clientSoftwareName: 'sluice-diff', clientSoftwareVersion: '1.0' },
      },
      {
        name: 'ApiVersions v3 on the same connection afterwards',
        apiKey: ApiKey.ApiVersions,
        version: 3,
        body: { clientSoftwareName: 'sluice-diff', clientSoftwareVersion: '1.0' },
      },
    ],
  },
  {
    name: 'unsupported-version',
    title: 'a version of Heartbeat neither broker serves: the connection is closed',
    steps: [
      { ...heartbeat('Heartbeat v50', 'm', 1), wireVersion: 50, expectClose: true },
      { ...heartbeat('heartbeat on the closed connection', 'm', 1) },
    ],
  },
  {
    name: 'removed-versions',
    title: 'versions Kafka 4 removed (KIP-896) that Sluice keeps for old clients',
    steps: [
      ...newTopic(),
      produce('produce', [{ value: 'x' }]),
      fetch('Fetch v12 (flexible), the lowest both serve with tagged fields', 0, { version: 12 }),
      listOffsets('ListOffsets v1, the lowest Kafka 4 serves', -1n, { version: 1 }),
      // Below Sluice's minimum too: both close.
      { ...fetch('Fetch v3', 0, { version: 3 }), conn: 'v3', expectClose: true },
      // Sluice keeps these for librdkafka's feature gates and sarama/Burrow (docs/compatibility.md).
      { ...listOffsets('ListOffsets v0', -1n, { version: 0 }), conn: 'v0', expectClose: true },
      { ...produce('Produce v2', [{ value: 'y' }]), version: 2, conn: 'p2', expectClose: true },
    ],
  },
  {
    name: 'unknown-api-key',
    title: 'an API key neither broker knows: the connection is closed',
    steps: [
      { name: 'ApiKey 1000', apiKey: 1000, version: 0, body: { $raw: Buffer.alloc(0) }, expectClose: true },
      {
        name: 'ApiVersions v2 after the close, on a new connection',
        apiKey: ApiKey.ApiVersions,
        version: 2,
        body: {},
        conn: 'fresh',
      },
    ],
  },
  {
    name: 'describe-cluster',
    title: 'DescribeCluster: the brokers and the controller; controller endpoints asked of a broker',
    steps: [
      describeCluster('DescribeCluster v0', 0),
      describeCluster('DescribeCluster v2', V.describeCluster),
      describeCluster('DescribeCluster v2 for controllers', V.describeCluster, 2),
    ],
  },
];

function describeCluster(name: string, version: number, endpointType = 1): Step {
  return {
    name,
    apiKey: ApiKey.DescribeCluster,
    version,
    body: { includeClusterAuthorizedOperations: false, endpointType, includeFencedBrokers: false },
  };
}
