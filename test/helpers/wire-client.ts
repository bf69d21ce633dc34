import {
  decodeResponse,
  encodeRequest,
  type RequestBody,
  type ResponseBody,
} from '../../src/protocol/messages.js';
import { RawClient } from './raw-client.js';

/**
 * Speaks the Kafka protocol with our codec, one frame at a time, for broker behaviour tests that need
 * exact control (pipelining, acks=0, bad versions). Compatibility itself is proven with real clients
 * in test/compat.
 */
export class WireClient {
  private nextCorrelation = 1;
  private read = 0;

  private constructor(readonly raw: RawClient) {}

  static async open(port: number): Promise<WireClient> {
    return new WireClient(await RawClient.open(port));
  }

  /** Encodes a request frame without sending it; returns its bytes and correlation id. */
  frame<K extends number>(
    apiKey: K,
    version: number,
    body: RequestBody<K>,
  ): { bytes: Buffer; correlationId: number } {
    const correlationId = this.nextCorrelation++;
    return { bytes: encodeRequest(apiKey, version, correlationId, 'sluice-test', body), correlationId };
  }

  async send(bytes: Buffer): Promise<void> {
    await this.raw.write(bytes);
  }

  /** Reads the next response frame and decodes it as `apiKey`/`version`. */
  async next<K extends number>(
    apiKey: K,
    version: number,
    timeoutMs = 5_000,
  ): Promise<{ correlationId: number; body: ResponseBody<K> }> {
    const frames = await this.raw.waitForFrames(this.read + 1, timeoutMs);
    const frame = frames[this.read++];
    return decodeResponse(apiKey, version, frame);
  }

  /** Sends one request and returns its decoded response body (checking the correlation id). */
  async request<K extends number>(
    apiKey: K,
    version: number,
    body: RequestBody<K>,
  ): Promise<ResponseBody<K>> {
    const { bytes, correlationId } = this.frame(apiKey, version, body);
    await this.send(bytes);
    const res = await this.next(apiKey, version);
    if (res.correlationId !== correlationId) {
      throw new Error(`response correlation id ${res.correlationId} does not match request ${correlationId}`);
    }
    return res.body;
  }

  /** Frames received so far that no next() has consumed. */
  get unread(): number {
    return this.raw.frames.length - this.read;
  }

  close(): void {
    this.raw.close();
  }
}
