// Every API the codec knows, by key. One file per API, named by its key, so the tree reads like the protocol.
import type { ApiSpec } from '../schema.js';
import { ProduceApi, type ProduceRequest, type ProduceResponse } from './00-produce.js';
import { FetchApi, type FetchRequest, type FetchResponse } from './01-fetch.js';
import { ListOffsetsApi, type ListOffsetsRequest, type ListOffsetsResponse } from './02-list-offsets.js';
import { MetadataApi, type MetadataRequest, type MetadataResponse } from './03-metadata.js';
import { OffsetCommitApi, type OffsetCommitRequest, type OffsetCommitResponse } from './08-offset-commit.js';
import { OffsetFetchApi, type OffsetFetchRequest, type OffsetFetchResponse } from './09-offset-fetch.js';
import {
  FindCoordinatorApi,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from './10-find-coordinator.js';
import { JoinGroupApi, type JoinGroupRequest, type JoinGroupResponse } from './11-join-group.js';
import { HeartbeatApi, type HeartbeatRequest, type HeartbeatResponse } from './12-heartbeat.js';
import { LeaveGroupApi, type LeaveGroupRequest, type LeaveGroupResponse } from './13-leave-group.js';
import { SyncGroupApi, type SyncGroupRequest, type SyncGroupResponse } from './14-sync-group.js';
import {
  DescribeGroupsApi,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
} from './15-describe-groups.js';
import { ListGroupsApi, type ListGroupsRequest, type ListGroupsResponse } from './16-list-groups.js';
import {
  SaslHandshakeApi,
  type SaslHandshakeRequest,
  type SaslHandshakeResponse,
} from './17-sasl-handshake.js';
import { ApiVersionsApi, type ApiVersionsRequest, type ApiVersionsResponse } from './18-api-versions.js';
import { CreateTopicsApi, type CreateTopicsRequest, type CreateTopicsResponse } from './19-create-topics.js';
import { DeleteTopicsApi, type DeleteTopicsRequest, type DeleteTopicsResponse } from './20-delete-topics.js';
import {
  DeleteRecordsApi,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
} from './21-delete-records.js';
import {
  InitProducerIdApi,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from './22-init-producer-id.js';
import {
  AddPartitionsToTxnApi,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
} from './24-add-partitions-to-txn.js';
import {
  AddOffsetsToTxnApi,
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponse,
} from './25-add-offsets-to-txn.js';
import { EndTxnApi, type EndTxnRequest, type EndTxnResponse } from './26-end-txn.js';
import {
  TxnOffsetCommitApi,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
} from './28-txn-offset-commit.js';
import { DescribeAclsApi, type DescribeAclsRequest, type DescribeAclsResponse } from './29-describe-acls.js';
import { CreateAclsApi, type CreateAclsRequest, type CreateAclsResponse } from './30-create-acls.js';
import { DeleteAclsApi, type DeleteAclsRequest, type DeleteAclsResponse } from './31-delete-acls.js';
import {
  DescribeConfigsApi,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
} from './32-describe-configs.js';
import { AlterConfigsApi, type AlterConfigsRequest, type AlterConfigsResponse } from './33-alter-configs.js';
import {
  DescribeLogDirsApi,
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
} from './35-describe-log-dirs.js';
import {
  SaslAuthenticateApi,
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse,
} from './36-sasl-authenticate.js';
import {
  CreatePartitionsApi,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
} from './37-create-partitions.js';
import { DeleteGroupsApi, type DeleteGroupsRequest, type DeleteGroupsResponse } from './42-delete-groups.js';
import {
  IncrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from './44-incremental-alter-configs.js';
import { OffsetDeleteApi, type OffsetDeleteRequest, type OffsetDeleteResponse } from './47-offset-delete.js';
import {
  DescribeClusterApi,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
} from './60-describe-cluster.js';
import {
  DescribeTransactionsApi,
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponse,
} from './65-describe-transactions.js';
import {
  ListTransactionsApi,
  type ListTransactionsRequest,
  type ListTransactionsResponse,
} from './66-list-transactions.js';

export { ProduceApi, type ProduceRequest, type ProduceResponse } from './00-produce.js';
export { FetchApi, type FetchRequest, type FetchResponse } from './01-fetch.js';
export { ListOffsetsApi, type ListOffsetsRequest, type ListOffsetsResponse } from './02-list-offsets.js';
export { MetadataApi, type MetadataRequest, type MetadataResponse } from './03-metadata.js';
export { OffsetCommitApi, type OffsetCommitRequest, type OffsetCommitResponse } from './08-offset-commit.js';
export { OffsetFetchApi, type OffsetFetchRequest, type OffsetFetchResponse } from './09-offset-fetch.js';
export {
  FindCoordinatorApi,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from './10-find-coordinator.js';
export { JoinGroupApi, type JoinGroupRequest, type JoinGroupResponse } from './11-join-group.js';
export { HeartbeatApi, type HeartbeatRequest, type HeartbeatResponse } from './12-heartbeat.js';
export { LeaveGroupApi, type LeaveGroupRequest, type LeaveGroupResponse } from './13-leave-group.js';
export { SyncGroupApi, type SyncGroupRequest, type SyncGroupResponse } from './14-sync-group.js';
export {
  DescribeGroupsApi,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
} from './15-describe-groups.js';
export { ListGroupsApi, type ListGroupsRequest, type ListGroupsResponse } from './16-list-groups.js';
export {
  SaslHandshakeApi,
  type SaslHandshakeRequest,
  type SaslHandshakeResponse,
} from './17-sasl-handshake.js';
export { ApiVersionsApi, type ApiVersionsRequest, type ApiVersionsResponse } from './18-api-versions.js';
export { CreateTopicsApi, type CreateTopicsRequest, type CreateTopicsResponse } from './19-create-topics.js';
export { DeleteTopicsApi, type DeleteTopicsRequest, type DeleteTopicsResponse } from './20-delete-topics.js';
export {
  DeleteRecordsApi,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
} from './21-delete-records.js';
export {
  InitProducerIdApi,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from './22-init-producer-id.js';
export {
  AddPartitionsToTxnApi,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
} from './24-add-partitions-to-txn.js';
export {
  AddOffsetsToTxnApi,
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponse,
} from './25-add-offsets-to-txn.js';
export { EndTxnApi, type EndTxnRequest, type EndTxnResponse } from './26-end-txn.js';
export {
  TxnOffsetCommitApi,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
} from './28-txn-offset-commit.js';
export {
  type AclBindingFilter,
  DescribeAclsApi,
  type DescribeAclsRequest,
  type DescribeAclsResponse,
} from './29-describe-acls.js';
export {
  type AclCreation,
  CreateAclsApi,
  type CreateAclsRequest,
  type CreateAclsResponse,
} from './30-create-acls.js';
export { DeleteAclsApi, type DeleteAclsRequest, type DeleteAclsResponse } from './31-delete-acls.js';
export {
  DescribeConfigsApi,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
} from './32-describe-configs.js';
export { AlterConfigsApi, type AlterConfigsRequest, type AlterConfigsResponse } from './33-alter-configs.js';
export {
  DescribeLogDirsApi,
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
} from './35-describe-log-dirs.js';
export {
  SaslAuthenticateApi,
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse,
} from './36-sasl-authenticate.js';
export {
  CreatePartitionsApi,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
} from './37-create-partitions.js';
export { DeleteGroupsApi, type DeleteGroupsRequest, type DeleteGroupsResponse } from './42-delete-groups.js';
export {
  IncrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from './44-incremental-alter-configs.js';
export { OffsetDeleteApi, type OffsetDeleteRequest, type OffsetDeleteResponse } from './47-offset-delete.js';
export {
  DescribeClusterApi,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
} from './60-describe-cluster.js';
export {
  DescribeTransactionsApi,
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponse,
} from './65-describe-transactions.js';
export {
  ListTransactionsApi,
  type ListTransactionsRequest,
  type ListTransactionsResponse,
} from './66-list-transactions.js';

/** Request and response body types by API key (drives the typed codec functions). */
export interface ApiBodies {
  0: { request: ProduceRequest; response: ProduceResponse };
  1: { request: FetchRequest; response: FetchResponse };
  2: { request: ListOffsetsRequest; response: ListOffsetsResponse };
  3: { request: MetadataRequest; response: MetadataResponse };
  8: { request: OffsetCommitRequest; response: OffsetCommitResponse };
  9: { request: OffsetFetchRequest; response: OffsetFetchResponse };
  10: { request: FindCoordinatorRequest; response: FindCoordinatorResponse };
  11: { request: JoinGroupRequest; response: JoinGroupResponse };
  12: { request: HeartbeatRequest; response: HeartbeatResponse };
  13: { request: LeaveGroupRequest; response: LeaveGroupResponse };
  14: { request: SyncGroupRequest; response: SyncGroupResponse };
  15: { request: DescribeGroupsRequest; response: DescribeGroupsResponse };
  16: { request: ListGroupsRequest; response: ListGroupsResponse };
  17: { request: SaslHandshakeRequest; response: SaslHandshakeResponse };
  18: { request: ApiVersionsRequest; response: ApiVersionsResponse };
  19: { request: CreateTopicsRequest; response: CreateTopicsResponse };
  20: { request: DeleteTopicsRequest; response: DeleteTopicsResponse };
  21: { request: DeleteRecordsRequest; response: DeleteRecordsResponse };
  22: { request: InitProducerIdRequest; response: InitProducerIdResponse };
  24: { request: AddPartitionsToTxnRequest; response: AddPartitionsToTxnResponse };
  25: { request: AddOffsetsToTxnRequest; response: AddOffsetsToTxnResponse };
  26: { request: EndTxnRequest; response: EndTxnResponse };
  28: { request: TxnOffsetCommitRequest; response: TxnOffsetCommitResponse };
  29: { request: DescribeAclsRequest; response: DescribeAclsResponse };
  30: { request: CreateAclsRequest; response: CreateAclsResponse };
  31: { request: DeleteAclsRequest; response: DeleteAclsResponse };
  32: { request: DescribeConfigsRequest; response: DescribeConfigsResponse };
  33: { request: AlterConfigsRequest; response: AlterConfigsResponse };
  35: { request: DescribeLogDirsRequest; response: DescribeLogDirsResponse };
  36: { request: SaslAuthenticateRequest; response: SaslAuthenticateResponse };
  37: { request: CreatePartitionsRequest; response: CreatePartitionsResponse };
  42: { request: DeleteGroupsRequest; response: DeleteGroupsResponse };
  44: { request: IncrementalAlterConfigsRequest; response: IncrementalAlterConfigsResponse };
  47: { request: OffsetDeleteRequest; response: OffsetDeleteResponse };
  60: { request: DescribeClusterRequest; response: DescribeClusterResponse };
  65: { request: DescribeTransactionsRequest; response: DescribeTransactionsResponse };
  66: { request: ListTransactionsRequest; response: ListTransactionsResponse };
}

export type KnownApiKey = keyof ApiBodies;

export const API_SPECS: Readonly<Record<number, ApiSpec>> = Object.freeze({
  [ProduceApi.key]: ProduceApi,
  [FetchApi.key]: FetchApi,
  [ListOffsetsApi.key]: ListOffsetsApi,
  [MetadataApi.key]: MetadataApi,
  [OffsetCommitApi.key]: OffsetCommitApi,
  [OffsetFetchApi.key]: OffsetFetchApi,
  [FindCoordinatorApi.key]: FindCoordinatorApi,
  [JoinGroupApi.key]: JoinGroupApi,
  [HeartbeatApi.key]: HeartbeatApi,
  [LeaveGroupApi.key]: LeaveGroupApi,
  [SyncGroupApi.key]: SyncGroupApi,
  [DescribeGroupsApi.key]: DescribeGroupsApi,
  [ListGroupsApi.key]: ListGroupsApi,
  [SaslHandshakeApi.key]: SaslHandshakeApi,
  [ApiVersionsApi.key]: ApiVersionsApi,
  [CreateTopicsApi.key]: CreateTopicsApi,
  [DeleteTopicsApi.key]: DeleteTopicsApi,
  [DeleteRecordsApi.key]: DeleteRecordsApi,
  [InitProducerIdApi.key]: InitProducerIdApi,
  [AddPartitionsToTxnApi.key]: AddPartitionsToTxnApi,
  [AddOffsetsToTxnApi.key]: AddOffsetsToTxnApi,
  [EndTxnApi.key]: EndTxnApi,
  [TxnOffsetCommitApi.key]: TxnOffsetCommitApi,
  [DescribeTransactionsApi.key]: DescribeTransactionsApi,
  [ListTransactionsApi.key]: ListTransactionsApi,
  [DescribeAclsApi.key]: DescribeAclsApi,
  [CreateAclsApi.key]: CreateAclsApi,
  [DeleteAclsApi.key]: DeleteAclsApi,
  [DescribeConfigsApi.key]: DescribeConfigsApi,
  [AlterConfigsApi.key]: AlterConfigsApi,
  [DescribeLogDirsApi.key]: DescribeLogDirsApi,
  [SaslAuthenticateApi.key]: SaslAuthenticateApi,
  [CreatePartitionsApi.key]: CreatePartitionsApi,
  [DeleteGroupsApi.key]: DeleteGroupsApi,
  [IncrementalAlterConfigsApi.key]: IncrementalAlterConfigsApi,
  [OffsetDeleteApi.key]: OffsetDeleteApi,
  [DescribeClusterApi.key]: DescribeClusterApi,
} as Record<number, ApiSpec>);
