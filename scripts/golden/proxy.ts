// A recording Kafka proxy: sits between one client and one broker, forwards every byte, and keeps each
// request frame with the response frame that answered it. Two rewrites keep the client on the proxy and
// inside the versions Sluice serves; the recorded bytes are always the originals:
// - broker addresses in Metadata, FindCoordinator and DescribeCluster answers point at the proxy, so a
//   client that reconnects to "the leader" or "the coordinator" comes back through it;
// - ApiVersions answers are narrowed to the versions both the upstream broker and Sluice serve, so a
//   client talking to Apache Kafka picks a version Sluice also serves (and Kafka answers it with its bytes).
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { SupportedVersionRange } from '../../src/protocol/api-keys.js';
import {
  decodeRequestHeader,
  decodeResponse,
  encodeApiVersionsFallback,
  encodeResponse,
} from '../../src/protocol/messages.js';

export interface RecordedExchange {
  apiKey: number;
  apiVersion: number;
  /** The request frame without its 4-byte size prefix. */
  request: Buffer;
  /** The upstream broker's response frame without its size prefix; null for acks=0 or a closed connection. */
  response: Buffer | null;
}

export interface RecordingProxy {
  port: number;
  exchanges: RecordedExchange[];
  close(): Promise<void>;
}

const API_VERSIONS = 18;
const METADATA = 3;
const FIND_COORDINATOR = 10;
const DESCRIBE_CLUSTER = 60;
const PRODUCE = 0;
const SASL_HANDSHAKE = 17;

/** Splits a byte stream into Kafka frames (size prefix removed). */
function frameReader(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (pending.length < 4 + size) break;
      onFrame(pending.subarray(4, 4 + size));
      pending = pending.subarray(4 + size);
    }
  };
}

function withSize(frame: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length, 0);
  return Buffer.concat([size, frame]);
}

/** The response a client sees: the original, or one rewritten as the header comment says. */
function rewrite(
  apiKey: number,
  apiVersion: number,
  frame: Buffer,
  proxyPort: number,
  served: Readonly<Record<number, SupportedVersionRange>>,
): Buffer {
  if (![API_VERSIONS, METADATA, FIND_COORDINATOR, DESCRIBE_CLUSTER].includes(apiKey)) return frame;
  const { correlationId, body } = decodeResponse(apiKey, apiVersion, frame) as {
    correlationId: number;
    body: Record<string, unknown> & {
      apiKeys?: Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
      brokers?: Array<{ host: string; port: number }>;
      coordinators?: Array<{ host: string; port: number }>;
      host?: string;
      port?: number;
    };
  };
  if (apiKey === API_VERSIONS) {
    body.apiKeys = (body.apiKeys ?? []).flatMap((k) => {
      const ours = served[k.apiKey];
      if (!ours) return [];
      const minVersion = Math.max(k.minVersion, ours.min);
      const maxVersion = Math.min(k.maxVersion, ours.max);
      return minVersion <= maxVersion ? [{ ...k, minVersion, maxVersion }] : [];
    });
  }
  for (const b of [...(body.brokers ?? []), ...(body.coordinators ?? [])]) {
    b.host = '127.0.0.1';
    b.port = proxyPort;
  }
  if (apiKey === FIND_COORDINATOR && apiVersion < 4 && body.host !== undefined) {
    body.host = '127.0.0.1';
    body.port = proxyPort;
  }
  return encodeResponse(apiKey, apiVersion, correlationId, body as never).subarray(4);
}

/** Does a Produce request ask for no answer (acks=0)? acks is the int16 after transactional_id (v3+). */
function expectsNoResponse(apiKey: number, apiVersion: number, request: Buffer, bodyOffset: number): boolean {
  if (apiKey !== PRODUCE) return false;
  let at = bodyOffset;
  if (apiVersion >= 3) {
    if (apiVersion >= 9) {
      const [len, n] = readUnsignedVarint(request, at);
      at += n + Math.max(0, len - 1);
    } else {
      const len = request.readInt16BE(at);
      at += 2 + Math.max(0, len);
    }
  }
  return request.readInt16BE(at) === 0;
}

function readUnsignedVarint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let n = 0;
  for (;;) {
    const b = buf[at + n++];
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [value >>> 0, n];
    shift += 7;
  }
}

export async function startRecordingProxy(options: {
  upstream: { host: string; port: number };
  served: Readonly<Record<number, SupportedVersionRange>>;
}): Promise<RecordingProxy> {
  const exchanges: RecordedExchange[] = [];
  const sockets = new Set<Socket>();
  let port = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection(options.upstream);
    sockets.add(client);
    sockets.add(upstream);
    const inFlight = new Map<number, RecordedExchange>();
    // After SaslHandshake v0 (kafka-python 2.0) the client's next frame is a bare SASL token, not a request
    // (the broker's bare answer matches no correlation id and is passed on as it is).
    let bareToken = false;
    client.on(
      'data',
      frameReader((frame) => {
        if (bareToken) {
          bareToken = false;
          upstream.write(withSize(frame));
          return;
        }
        const header = decodeRequestHeader(frame);
        if (header.apiKey === SASL_HANDSHAKE && header.apiVersion === 0) bareToken = true;
        const exchange: RecordedExchange = {
          apiKey: header.apiKey,
          apiVersion: header.apiVersion,
          request: Buffer.from(frame),
          response: null,
        };
        exchanges.push(exchange);
        const ours = options.served[API_VERSIONS];
        if (header.apiKey === API_VERSIONS && ours && header.apiVersion > ours.max) {
          // Newer than we can decode (and rewrite): answer as Sluice does, and the client retries lower.
          client.write(encodeApiVersionsFallback(header.correlationId, options.served));
          return;
        }
        if (!expectsNoResponse(header.apiKey, header.apiVersion, frame, header.bodyOffset))
          inFlight.set(header.correlationId, exchange);
        upstream.write(withSize(frame));
      }),
    );
    upstream.on(
      'data',
      frameReader((frame) => {
        const exchange = frame.length >= 4 ? inFlight.get(frame.readInt32BE(0)) : undefined;
        if (!exchange) {
          client.write(withSize(frame));
          return;
        }
        inFlight.delete(frame.readInt32BE(0));
        exchange.response = Buffer.from(frame);
        let answer = frame;
        try {
          answer = rewrite(exchange.apiKey, exchange.apiVersion, frame, port, options.served);
        } catch (err) {
          process.stderr.write(
            `proxy: cannot rewrite api ${exchange.apiKey} v${exchange.apiVersion}: ${err}\n`,
          );
        }
        client.write(withSize(answer));
      }),
    );
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
