import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialStore } from '../../../src/broker/auth/credentials.js';
import { Broker } from '../../../src/broker/broker.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { waitFor } from '../../helpers/burrow.js';
import { makeTestCerts, type TestCerts } from '../../helpers/certs.js';
import { RawClient } from '../../helpers/raw-client.js';
import { authenticate, openAuthenticated, SaslFailed } from '../../helpers/sasl-client.js';
import { WireClient } from '../../helpers/wire-client.js';

const FAILED_DELAY_MS = 300;
const REAUTH_MS = 400;

/** A broker with every listener, users alice (in memory) and bob (in users.json), its log lines captured. */
async function startSecured(dataDir: string, certs: TestCerts, logs: string[]) {
  const broker = new Broker(
    {
      host: '127.0.0.1',
      dataDir,
      listeners:
        'SASL_PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      security: {
        tls: { certFile: certs.brokerCert, keyFile: certs.brokerKey },
        users: { alice: 'alice-secret' },
        failedAuthDelayMs: FAILED_DELAY_MS,
        reauthMs: REAUTH_MS,
      },
    },
    { logger: pino({ level: 'info' }, { write: (line: string) => logs.push(line) }) },
  );
  await broker.start();
  return broker;
}

describe('SASL on the embedded broker', () => {
  let certs: TestCerts;
  let dataDir: string;
  let broker: Broker;
  const logs: string[] = [];
  let sasl: number;
  let plaintext: number;
  let tlsPort: number;

  beforeAll(async () => {
    certs = makeTestCerts();
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-sasl-'));
    const users = await CredentialStore.open(dataDir);
    await users.set('bob', 'bob-secret');
    broker = await startSecured(dataDir, certs, logs);
    sasl = broker.listenerAddress('SASL_PLAINTEXT').port;
    plaintext = broker.listenerAddress('PLAINTEXT').port;
    tlsPort = broker.listenerAddress('SSL').port;
  });
  afterAll(async () => {
    await broker?.stop(1_000);
    rmSync(dataDir, { recursive: true, force: true });
    certs?.cleanup();
  });

  it('stores salted SCRAM credentials, never the password', () => {
    const file = readFileSync(join(dataDir, 'users.json'), 'utf8');
    expect(file).not.toContain('bob-secret');
    const bob = JSON.parse(file).users.bob;
    expect(Object.keys(bob).sort()).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512']);
    expect(bob['SCRAM-SHA-256']).toMatchObject({ iterations: 4096 });
  });

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`authenticates with ${mechanism} (users from memory and from users.json) and then serves requests`, async () => {
      for (const [user, password] of [
        ['alice', 'alice-secret'],
        ['bob', 'bob-secret'],
      ]) {
        const c = await openAuthenticated(sasl, mechanism, user, password);
        const md = await c.request(3, 1, { topics: null });
        expect(md.brokers[0].port).toBe(sasl); // advertised: the listener the client came in on
        c.close();
      }
    });
  }

  it('refuses a wrong password with SASL_AUTHENTICATION_FAILED after the delay, logs the client address, closes', async () => {
    const c = await WireClient.open(sasl);
    const local = `${c.raw.socket.localAddress}:${c.raw.socket.localPort}`;
    const started = Date.now();
    const err = await authenticate(c, 'SCRAM-SHA-256', 'alice', 'guess').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SaslFailed);
    expect((err as SaslFailed).errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(Date.now() - started).toBeGreaterThanOrEqual(FAILED_DELAY_MS - 20);
    await c.raw.closed;
    const line = logs.find((l) => l.includes('failed authentication') && l.includes(local));
    expect(line).toBeDefined();
    expect(line).not.toContain('guess');
    // The broker keeps serving everyone else.
    (await openAuthenticated(sasl, 'PLAIN', 'alice', 'alice-secret')).close();
  });

  it('answers an unknown mechanism with UNSUPPORTED_SASL_MECHANISM and the list it offers', async () => {
    const c = await WireClient.open(sasl);
    const r = await c.request(17, 1, { mechanism: 'GSSAPI' });
    expect(r.errorCode).toBe(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    expect(r.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    c.close();
  });

  it('closes a connection that sends requests other than ApiVersions before authenticating', async () => {
    const c = await WireClient.open(sasl);
    expect((await c.request(18, 0, {})).errorCode).toBe(0);
    await c.send(c.frame(3, 1, { topics: null }).bytes);
    await c.raw.closed;
    expect(logs.some((l) => l.includes('before SASL authentication'))).toBe(true);
  });

  it('answers SaslHandshake on a listener without SASL with ILLEGAL_SASL_STATE', async () => {
    const c = await WireClient.open(plaintext);
    expect((await c.request(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    c.close();
  });

  it('gives SaslAuthenticate v1+ the session lifetime; re-authentication renews it, expiry closes (KIP-368)', async () => {
    const c = await WireClient.open(sasl);
    expect(await authenticate(c, 'SCRAM-SHA-256', 'alice', 'alice-secret', 1)).toBe(BigInt(REAUTH_MS));
    const until = Date.now() + REAUTH_MS;
    await sleepUntil(until - 150);
    // Re-authenticate on the same connection before the lifetime ends (same principal required).
    await authenticate(c, 'SCRAM-SHA-256', 'alice', 'alice-secret', 1);
    const renewed = Date.now() + REAUTH_MS;
    await sleepUntil(until + 50);
    expect((await c.request(3, 1, { topics: [] })).brokers).toHaveLength(1);
    await sleepUntil(renewed + 50);
    await c.send(c.frame(3, 1, { topics: [] }).bytes);
    await c.raw.closed;
    expect(logs.some((l) => l.includes('expired without re-authentication'))).toBe(true);
  });

  it('refuses a re-authentication as someone else', async () => {
    const c = await WireClient.open(sasl);
    await authenticate(c, 'PLAIN', 'alice', 'alice-secret');
    const err = await authenticate(c, 'PLAIN', 'bob', 'bob-secret').catch((e: unknown) => e);
    expect((err as SaslFailed).errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect((err as SaslFailed).message).toMatch(/change principals/);
    await c.raw.closed;
  });

  it('closes a TLS hello on a plaintext port and a plaintext request on a TLS port, each with a log line', async () => {
    const hello = tlsConnect({ port: plaintext, host: '127.0.0.1', rejectUnauthorized: false });
    await new Promise<void>((resolve) => {
      hello.once('error', () => resolve());
      hello.once('close', () => resolve());
    });
    await waitFor(
      'log: bad frame',
      async () => logs.some((l) => l.includes('bad frame')) || undefined,
      5_000,
    );

    const raw = await RawClient.open(tlsPort);
    await raw.write(new WireClient_frame().bytes);
    await raw.closed;
    await waitFor(
      'log: TLS handshake failed',
      async () => logs.some((l) => l.includes('TLS handshake failed')) || undefined,
      5_000,
    );

    const still = await WireClient.open(plaintext);
    expect((await still.request(18, 0, {})).errorCode).toBe(0);
    still.close();
  });
});

/** The session lifetime is wall-clock time on the broker: this waits for the moment itself. */
function sleepUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
}

/** An ApiVersions v0 request frame, as a plaintext client would open with. */
class WireClient_frame {
  readonly bytes = Buffer.from([0, 0, 0, 14, 0, 18, 0, 0, 0, 0, 0, 1, 0, 4, 0x74, 0x65, 0x73, 0x74]);
}
