import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';

/**
 * PRODUCER_FENCED (KIP-588) is new in AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and TxnOffsetCommit
 * v2: older clients get INVALID_PRODUCER_EPOCH, which they treat the same way, as Kafka answers them.
 */
export function fencedForOldClients(code: ErrorCodeValue, apiVersion: number): ErrorCodeValue {
  return apiVersion < 2 && code === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}
