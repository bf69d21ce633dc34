// Public API of the Kafka wire codec (shared by the broker and our client).
export * from './api-keys.js';
export * from './apis/index.js';
export * from './compression.js';
export * from './crc32c.js';
export * from './errors.js';
export {
  type DecodedRequest,
  type DecodeRequestOptions,
  decodeRequest,
  decodeRequestBody,
  decodeRequestHeader,
  decodeResponse,
  describedVersions,
  encodeApiVersionsFallback,
  encodeRequest,
  encodeResponse,
  encodeResponseChunks,
  isFlexibleVersion,
  ProtocolDecodeError,
  type ProtocolDecodeErrorReason,
  type RequestBody,
  type RequestHeader,
  type ResponseBody,
  requestBody,
} from './messages.js';
export { MissingOptionalDependencyError } from './optional-module.js';
export * from './record-batch.js';
export * from './schema.js';
export * from './varint.js';
