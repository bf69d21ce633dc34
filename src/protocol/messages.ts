/**
 * The one generic Kafka codec. Each API description (apis/*.ts) is compiled once per (API, version,
 * direction) into a plan (codec/plan.ts), from which specialised decoders (codec/read.ts) and encoders
 * (codec/write.ts) are generated: no per-version hand-written code.
 *
 * Frames: a request or response is `int32 size` + header + body. The decode functions take the frame
 * WITHOUT the size prefix (the connection layer has already split the stream); the encode functions
 * return the whole frame WITH the size prefix, in one buffer sized exactly up front.
 */

import { ApiKey, apiName, apiVersionsList, type SupportedVersionRange } from './api-keys.js';
import { API_SPECS, type ApiBodies, type KnownApiKey } from './apis/index.js';
import { ProtocolDecodeError } from './codec/decode-error.js';
import {
  compileStruct,
  describedRange,
  isFlexibleVersion,
  planFor,
  type StructPlan,
  ZERO_UUID,
} from './codec/plan.js';
import { Reader, readStruct, readTaggedFields, type SkipFields } from './codec/read.js';
import {
  beginDetaching,
  detachedSize,
  endDetaching,
  sizeStruct,
  Writer,
  writeStruct,
} from './codec/write.js';
import { ErrorCode } from './errors.js';

/** The all-zero topic id (Kafka's Uuid.ZERO_UUID) in its textual form: "no id". */
export { isFlexibleVersion, ProtocolDecodeError, ZERO_UUID };

// Headers

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** 1 (client id) or 2 (client id + tagged fields, for flexible versions). */
  headerVersion: number;
  /** Where the body starts in the frame. */
  bodyOffset: number;
}

function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  // ControlledShutdown v0 is the only request with header v0; it is never sent to us.
  return isFlexibleVersion(apiKey, apiVersion) ? 2 : 1;
}

function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  // ApiVersions always answers with header v0, so that a client can read it whatever version it asked for.
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexibleVersion(apiKey, apiVersion) ? 1 : 0;
}

/** Reads the request header of a frame (the bytes after the 4-byte size prefix). */
export function decodeRequestHeader(frame: Buffer): RequestHeader {
  if (frame.length < 8) {
    throw new ProtocolDecodeError(
      'truncated',
      `request frame of ${frame.length} bytes is shorter than the 8-byte minimum header`,
    );
  }
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const r = new Reader(frame, 8, frame.length);
  try {
    // client_id is a classic int16 string in every header version, even flexible ones.
    const clientId = r.string(false, true, 'clientId');
    if (headerVersion >= 2) readTaggedFields(r, EMPTY_STRUCT, {});
    return { apiKey, apiVersion, correlationId, clientId, headerVersion, bodyOffset: r.pos };
  } catch (err) {
    if (err instanceof ProtocolDecodeError) {
      err.apiKey = apiKey;
      err.apiVersion = apiVersion;
      err.correlationId = correlationId;
    }
    throw err;
  }
}

const EMPTY_STRUCT: StructPlan = compileStruct([], 0, true);

interface DecodeRequestOptions {
  /**
   * Versions accepted. Default: every version the codec describes. The broker passes its own table
   * (its handler registry), so a version it does not serve is refused before decoding.
   */
  versions?: Readonly<Record<number, SupportedVersionRange>>;
}

export type RequestBody<K extends number> = K extends KnownApiKey ? ApiBodies[K]['request'] : unknown;
export type ResponseBody<K extends number> = K extends KnownApiKey ? ApiBodies[K]['response'] : unknown;

interface DecodedRequest {
  header: RequestHeader;
  body: Record<string, unknown>;
}

/**
 * Decodes a request frame (without its size prefix). Throws ProtocolDecodeError for truncated or garbage
 * input, unknown API keys and versions outside `options.versions` (default: what the codec describes).
 * Narrow `body` with `requestBody(decoded, ApiKey.X)` or by switching on `header.apiKey`.
 */
export function decodeRequest(frame: Buffer, options: DecodeRequestOptions = {}): DecodedRequest {
  const header = decodeRequestHeader(frame);
  const { apiKey, apiVersion, correlationId } = header;
  try {
    const range = options.versions ? options.versions[apiKey] : describedVersions(apiKey);
    if (!range) {
      throw new ProtocolDecodeError('unknown-api', `${apiName(apiKey)} (key ${apiKey}) is not supported`);
    }
    if (apiVersion < range.min || apiVersion > range.max) {
      throw new ProtocolDecodeError(
        'unsupported-version',
        `${apiName(apiKey)} v${apiVersion} is not supported (supported: v${range.min}-v${range.max})`,
      );
    }
    const plan = planFor(apiKey, apiVersion);
    const r = new Reader(frame, header.bodyOffset, frame.length);
    const body = readStruct(r, plan.request);
    return { header, body };
  } catch (err) {
    throw annotate(err, apiKey, apiVersion, correlationId);
  }
}

/** Narrows a decoded request to its API's body type; throws if the key differs. */
export function requestBody<K extends KnownApiKey>(
  decoded: DecodedRequest,
  apiKey: K,
): ApiBodies[K]['request'] {
  if (decoded.header.apiKey !== apiKey) {
    throw new TypeError(`expected a ${apiName(apiKey)} request, got ${apiName(decoded.header.apiKey)}`);
  }
  return decoded.body as ApiBodies[K]['request'];
}

function annotate(err: unknown, apiKey: number, apiVersion: number, correlationId?: number): unknown {
  if (err instanceof ProtocolDecodeError) {
    err.apiKey = apiKey;
    err.apiVersion = apiVersion;
    if (correlationId !== undefined) err.correlationId = correlationId;
    if (!err.message.startsWith(apiName(apiKey)))
      err.message = `${apiName(apiKey)} v${apiVersion}: ${err.message}`;
    return err;
  }
  // Buffer's own range errors mean the same thing as ours: the frame is not what it claims to be.
  if (err instanceof RangeError) {
    const e = new ProtocolDecodeError('invalid', `${apiName(apiKey)} v${apiVersion}: ${err.message}`);
    e.apiKey = apiKey;
    e.apiVersion = apiVersion;
    e.correlationId = correlationId;
    return e;
  }
  return err;
}

/** Encodes a response frame, size prefix included. */
export function encodeResponse<K extends number>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseBody<K>,
): Buffer {
  const plan = planFor(apiKey, apiVersion);
  const o = body as Record<string, unknown>;
  const headerSize = responseHeaderVersion(apiKey, apiVersion) === 1 ? 5 : 4;
  const size = headerSize + sizeStruct(plan.response, o);
  const buf = Buffer.allocUnsafe(4 + size);
  buf.writeInt32BE(size, 0);
  buf.writeInt32BE(correlationId, 4);
  if (headerSize === 5) buf[8] = 0; // empty tag buffer
  const w = new Writer(buf, 4 + headerSize);
  writeStruct(w, plan.response, o);
  if (w.pos !== buf.length)
    throw new Error(`codec bug: ${plan.spec.name} v${apiVersion} size ${buf.length} wrote ${w.pos}`);
  return buf;
}

/**
 * Like encodeResponse, but record sets of at least `minDetachedBytes` are not copied: they come back as
 * their own chunks between the frame's other bytes, ready for `socket.cork()` + writes or `writev`.
 * The chunks concatenated are byte-identical to encodeResponse's buffer.
 */
export function encodeResponseChunks<K extends number>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseBody<K>,
  minDetachedBytes = 16 * 1024,
): Buffer[] {
  const plan = planFor(apiKey, apiVersion);
  const o = body as Record<string, unknown>;
  const headerSize = responseHeaderVersion(apiKey, apiVersion) === 1 ? 5 : 4;
  beginDetaching(minDetachedBytes);
  try {
    const size = headerSize + sizeStruct(plan.response, o);
    const inline = 4 + size - detachedSize();
    const buf = Buffer.allocUnsafe(inline);
    buf.writeInt32BE(size, 0);
    buf.writeInt32BE(correlationId, 4);
    if (headerSize === 5) buf[8] = 0;
    const w = new Writer(buf, 4 + headerSize);
    w.chunks = [];
    writeStruct(w, plan.response, o);
    if (w.pos !== inline)
      throw new Error(`codec bug: ${plan.spec.name} v${apiVersion} inline ${inline} wrote ${w.pos}`);
    if (w.chunkStart < w.pos) w.chunks.push(buf.subarray(w.chunkStart, w.pos));
    return w.chunks;
  } finally {
    endDetaching();
  }
}

/** Encodes a request frame, size prefix included (client side). */
export function encodeRequest<K extends number>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: RequestBody<K>,
): Buffer {
  const plan = planFor(apiKey, apiVersion);
  const o = body as Record<string, unknown>;
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const clientIdBytes = clientId === null ? 0 : Buffer.byteLength(clientId, 'utf8');
  const headerSize = 8 + 2 + clientIdBytes + (headerVersion === 2 ? 1 : 0);
  const size = headerSize + sizeStruct(plan.request, o);
  const buf = Buffer.allocUnsafe(4 + size);
  buf.writeInt32BE(size, 0);
  buf.writeInt16BE(apiKey, 4);
  buf.writeInt16BE(apiVersion, 6);
  buf.writeInt32BE(correlationId, 8);
  const w = new Writer(buf, 12);
  w.string(clientId, false);
  if (headerVersion === 2) buf[w.pos++] = 0;
  writeStruct(w, plan.request, o);
  if (w.pos !== buf.length)
    throw new Error(`codec bug: ${plan.spec.name} v${apiVersion} size ${buf.length} wrote ${w.pos}`);
  return buf;
}

/** Decodes a response frame (without its size prefix) for the request we sent with that key and version. */
export function decodeResponse<K extends number>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
  skip: SkipFields | null = null,
): { correlationId: number; body: ResponseBody<K> } {
  try {
    const plan = planFor(apiKey, apiVersion);
    const r = new Reader(frame, 0, frame.length);
    const correlationId = r.int32();
    if (responseHeaderVersion(apiKey, apiVersion) === 1) readTaggedFields(r, EMPTY_STRUCT, {});
    const body = readStruct(r, plan.response, skip) as ResponseBody<K>;
    return { correlationId, body };
  } catch (err) {
    throw annotate(err, apiKey, apiVersion);
  }
}

/** Decodes a request body alone (no header), e.g. for tests or tools. */
export function decodeRequestBody<K extends number>(
  apiKey: K,
  apiVersion: number,
  body: Buffer,
): RequestBody<K> {
  try {
    const plan = planFor(apiKey, apiVersion);
    return readStruct(new Reader(body, 0, body.length), plan.request) as RequestBody<K>;
  } catch (err) {
    throw annotate(err, apiKey, apiVersion);
  }
}

/**
 * The answer Kafka gives to an ApiVersions request whose version it does not support: response header v0
 * and a v0-layout body with UNSUPPORTED_VERSION (35) and the supported API list, so that the client can
 * retry with a version it finds there.
 */
export function encodeApiVersionsFallback(
  correlationId: number,
  versions: Readonly<Record<number, SupportedVersionRange>>,
): Buffer {
  return encodeResponse(ApiKey.ApiVersions, 0, correlationId, {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: apiVersionsList(versions),
  });
}

/** The version range the codec can encode and decode for an API (wider than what the broker advertises). */
export function describedVersions(apiKey: number): SupportedVersionRange | null {
  const spec = API_SPECS[apiKey];
  if (!spec) return null;
  const r = describedRange(spec);
  return { min: r.min, max: r.max };
}
