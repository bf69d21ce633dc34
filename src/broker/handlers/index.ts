import type { ApiHandler } from '../api-handler.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { produceHandler } from './00-produce.js';
import { fetchHandler } from './01-fetch.js';
import { listOffsetsHandler } from './02-list-offsets.js';
import { metadataHandler } from './03-metadata.js';
import { offsetCommitHandler } from './08-offset-commit.js';
import { offsetFetchHandler } from './09-offset-fetch.js';
import { findCoordinatorHandler } from './10-find-coordinator.js';
import { joinGroupHandler } from './11-join-group.js';
import { heartbeatHandler } from './12-heartbeat.js';
import { leaveGroupHandler } from './13-leave-group.js';
import { syncGroupHandler } from './14-sync-group.js';
import { describeGroupsHandler } from './15-describe-groups.js';
import { listGroupsHandler } from './16-list-groups.js';
import { saslHandshakeHandler } from './17-sasl-handshake.js';
import { apiVersionsHandler } from './18-api-versions.js';
import { createTopicsHandler } from './19-create-topics.js';
import { deleteTopicsHandler } from './20-delete-topics.js';
import { deleteRecordsHandler } from './21-delete-records.js';
import { initProducerIdHandler } from './22-init-producer-id.js';
import { addPartitionsToTxnHandler } from './24-add-partitions-to-txn.js';
import { addOffsetsToTxnHandler } from './25-add-offsets-to-txn.js';
import { endTxnHandler } from './26-end-txn.js';
import { txnOffsetCommitHandler } from './28-txn-offset-commit.js';
import { describeAclsHandler } from './29-describe-acls.js';
import { createAclsHandler } from './30-create-acls.js';
import { deleteAclsHandler } from './31-delete-acls.js';
import { describeConfigsHandler } from './32-describe-configs.js';
import { alterConfigsHandler } from './33-alter-configs.js';
import { describeLogDirsHandler } from './35-describe-log-dirs.js';
import { saslAuthenticateHandler } from './36-sasl-authenticate.js';
import { createPartitionsHandler } from './37-create-partitions.js';
import { deleteGroupsHandler } from './42-delete-groups.js';
import { incrementalAlterConfigsHandler } from './44-incremental-alter-configs.js';
import { offsetDeleteHandler } from './47-offset-delete.js';
import { describeClusterHandler } from './60-describe-cluster.js';
import { describeTransactionsHandler } from './65-describe-transactions.js';
import { listTransactionsHandler } from './66-list-transactions.js';

/**
 * The APIs the core broker serves; the consumer-group APIs ({@link groupHandlers}) and the transaction
 * APIs ({@link transactionHandlers}) need their coordinators.
 */
export const coreHandlers: ApiHandler<never, unknown>[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  createPartitionsHandler,
  deleteRecordsHandler,
  describeClusterHandler,
  incrementalAlterConfigsHandler,
  describeLogDirsHandler,
  saslHandshakeHandler,
  saslAuthenticateHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
];

/** The consumer-group APIs, answered by `coordinator`. */
export function groupHandlers(coordinator: GroupCoordinator): ApiHandler<never, unknown>[] {
  return [
    offsetCommitHandler(coordinator),
    offsetFetchHandler(coordinator),
    findCoordinatorHandler,
    joinGroupHandler(coordinator),
    heartbeatHandler(coordinator),
    leaveGroupHandler(coordinator),
    syncGroupHandler(coordinator),
    describeGroupsHandler(coordinator),
    listGroupsHandler(coordinator),
    deleteGroupsHandler(coordinator),
    offsetDeleteHandler(coordinator),
  ] as ApiHandler<never, unknown>[];
}

/** InitProducerId and the transaction APIs, answered by `transactions` (offsets in transactions by `groups`). */
export function transactionHandlers(
  transactions: TransactionCoordinator,
  groups: GroupCoordinator,
): ApiHandler<never, unknown>[] {
  return [
    initProducerIdHandler(transactions),
    addPartitionsToTxnHandler(transactions),
    addOffsetsToTxnHandler(transactions),
    endTxnHandler(transactions),
    txnOffsetCommitHandler(groups, transactions),
    describeTransactionsHandler(transactions),
    listTransactionsHandler(transactions),
  ] as ApiHandler<never, unknown>[];
}
