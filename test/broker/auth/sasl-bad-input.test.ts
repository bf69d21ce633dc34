import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SASL_TOKEN_BYTES } from '../../../src/broker/auth/security.js';
import type { Broker } from '../../../src/broker/broker.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { waitFor } from '../../helpers/burrow.js';
import { authenticate, openAuthenticated, startSaslBroker } from '../../helpers/sasl-client.js';
import { WireClient } from '../../helpers/wire-client.js';

/**
 * Bad input on a SASL listener: each kind closes that connection with a log line naming what was wrong,
 * and the broker keeps serving the others. (A TLS hello on a plaintext port and a plaintext request on a
 * TLS port are in sasl.test.ts, which has the certificates.)
 */

const PASSWORD = 'alice-secret';

describe('bad SASL input on the embedded broker', () => {
  let broker: Broker;
  let port: number;
  let logs: string[];

  beforeAll(async () => {
    ({ broker, port, logs } = await startSaslBroker({ users: { alice: PASSWORD } }));
  });
  afterAll(async () => {
    await broker?.stop(1_000);
  });

  /** A connection, and its address as the broker logs it (read now: a closed socket forgets it). */
  async function open(): Promise<{ c: WireClient; local: string }> {
    const c = await WireClient.open(port);
    return { c, local: `${c.raw.socket.localAddress}:${c.raw.socket.localPort}` };
  }

  /** Waits for the broker's log line about the connection from `local` saying `what`. */
  async function loggedFor(local: string, what: RegExp): Promise<string> {
    let found: string | undefined;
    await waitFor(
      `a log line matching ${what} for ${local}`,
      async () => {
        found = logs.find((l) => l.includes(local) && what.test(l));
        return found ? true : undefined;
      },
      5_000,
      () => logs.slice(-5).join(''),
    );
    return found as string;
  }

  /** Someone else can still authenticate and be served. */
  async function stillServing(): Promise<void> {
    const c = await openAuthenticated(port, 'SCRAM-SHA-256', 'alice', PASSWORD);
    expect((await c.request(3, 1, { topics: [] })).brokers).toHaveLength(1);
    c.close();
  }

  it('a malformed SCRAM client-first message: SASL_AUTHENTICATION_FAILED, closed, logged', async () => {
    const { c, local } = await open();
    await c.request(17, 1, { mechanism: 'SCRAM-SHA-512' });
    const r = await c.request(36, 1, { authBytes: Buffer.from('not scram at all') });
    expect(r.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await c.raw.closed;
    expect(await loggedFor(local, /failed authentication/)).toMatch(/SCRAM-SHA-512/);
    await stillServing();
  });

  it('a PLAIN token without its separators: SASL_AUTHENTICATION_FAILED, closed, logged', async () => {
    const { c, local } = await open();
    await c.request(17, 1, { mechanism: 'PLAIN' });
    const r = await c.request(36, 1, { authBytes: Buffer.from('alice') });
    expect(r.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await c.raw.closed;
    await loggedFor(local, /failed authentication/);
    await stillServing();
  });

  it('SaslAuthenticate before any SaslHandshake: ILLEGAL_SASL_STATE, closed, logged', async () => {
    const { c, local } = await open();
    const r = await c.request(36, 1, { authBytes: Buffer.from('\u0000alice\u0000alice-secret') });
    expect(r.errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    await c.raw.closed;
    await loggedFor(local, /SaslAuthenticate before a SaslHandshake/);
    await stillServing();
  });

  it('a second SaslHandshake in the middle of an exchange: ILLEGAL_SASL_STATE, closed, logged', async () => {
    const { c, local } = await open();
    await c.request(17, 1, { mechanism: 'SCRAM-SHA-256' });
    const r = await c.request(17, 1, { mechanism: 'PLAIN' });
    expect(r.errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    await c.raw.closed;
    await loggedFor(local, /SaslHandshake in the middle of a SASL exchange/);
    await stillServing();
  });

  it('a garbage bare token after SaslHandshake v0 (the pre-KIP-152 flow): closed, logged', async () => {
    const { c, local } = await open();
    await c.request(17, 0, { mechanism: 'SCRAM-SHA-256' });
    const token = Buffer.from('garbage');
    const frame = Buffer.alloc(4 + token.length);
    frame.writeInt32BE(token.length, 0);
    token.copy(frame, 4);
    await c.send(frame);
    await c.raw.closed;
    await loggedFor(local, /SASL authentication failed/);
    await stillServing();
  });

  it('an undecodable SaslAuthenticate (its token longer than the frame): closed, logged', async () => {
    const { c, local } = await open();
    await c.request(17, 1, { mechanism: 'PLAIN' });
    const { bytes } = c.frame(36, 1, { authBytes: Buffer.from('\u0000alice\u0000alice-secret') });
    // Cut the last bytes off the token but keep the frame consistent: the body no longer holds its length.
    const cut = Buffer.from(bytes.subarray(0, bytes.length - 4));
    cut.writeInt32BE(cut.length - 4, 0);
    await c.send(cut);
    await c.raw.closed;
    await loggedFor(local, /closing connection/);
    await stillServing();
  });

  it('a frame over 512 KiB before authentication: closed before it is read, logged', async () => {
    // Kafka's sasl.server.max.receive.size: an unauthenticated client may not make the broker hold
    // --max-request-bytes (100 MiB) for it. Only the size prefix is sent.
    const { c, local } = await open();
    await c.request(17, 1, { mechanism: 'PLAIN' });
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(50 * 1024 * 1024, 0);
    await c.send(prefix);
    await c.raw.closed;
    expect(await loggedFor(local, /bad frame/)).toContain(
      `exceeds the limit of ${MAX_SASL_TOKEN_BYTES} (before SASL authentication`,
    );

    // A whole SaslAuthenticate with a 600 KB token is refused the same way.
    const { c: big, local: bigLocal } = await open();
    await big.request(17, 1, { mechanism: 'PLAIN' });
    await big.send(big.frame(36, 1, { authBytes: Buffer.alloc(600_000, 1) }).bytes);
    await big.raw.closed;
    await loggedFor(bigLocal, /bad frame/);
    await stillServing();
  });

  it('once authenticated, large frames pass again, but an oversized re-authentication token is refused', async () => {
    const { c, local } = await open();
    await authenticate(c, 'PLAIN', 'alice', PASSWORD);
    // An ordinary request over the pre-authentication cap (30,000 unknown topic names, ~700 KB) is served.
    const names = Array.from({ length: 30_000 }, (_, i) => ({ name: `no-such-topic-${i}`.padEnd(22, '-') }));
    const md = await c.request(3, 4, { topics: names, allowAutoTopicCreation: false });
    expect(md.topics).toHaveLength(30_000);
    expect(md.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await c.request(17, 1, { mechanism: 'PLAIN' });
    const r = await c.request(36, 1, { authBytes: Buffer.alloc(600_000, 1) });
    expect(r.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(r.errorMessage).toMatch(/exceeds/);
    await c.raw.closed;
    await loggedFor(local, /failed authentication/);
    await stillServing();
  });
});
