import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { reauthenticationDelayMs } from '../../src/client/sasl.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { requestThroughRenewals } from '../helpers/reauth.js';
import { saslConnection, startSaslBroker } from '../helpers/sasl-client.js';

/**
 * KIP-368 on our client: when SaslAuthenticate gives the session a lifetime (the broker's
 * connections.max.reauth.ms, `--reauth-ms` on sluice broker), the client re-authenticates on the same
 * connection before it runs out, while requests keep flowing, instead of being cut off and reconnecting.
 * The broker closes a connection whose session expired (test/broker/auth/sasl.test.ts shows that), so a
 * client that did not renew would lose its socket here.
 */

// The renewal comes at 85-95% of this, so a tenth of it (200 ms at least) is the slack a loaded machine
// has before the broker would see a request after expiry.
const REAUTH_MS = 2_000;
const PASSWORD = 'alice-secret-pw';

describe('SASL re-authentication (KIP-368) against sluice broker', () => {
  let broker: Broker;
  let port: number;
  let logs: string[];

  beforeAll(async () => {
    ({ broker, port, logs } = await startSaslBroker({ users: { alice: PASSWORD }, reauthMs: REAUTH_MS }));
  });
  afterAll(async () => {
    await broker?.stop(1_000);
  });

  it('renews at 85-95% of the lifetime, as Kafka clients do', () => {
    expect(reauthenticationDelayMs(10_000, 0)).toBe(8_500);
    expect(reauthenticationDelayMs(10_000, 0.999)).toBe(9_499);
  });

  for (const mechanism of ['SCRAM-SHA-512', 'PLAIN'] as const) {
    it(`re-authenticates with ${mechanism} on the same connection while requests keep flowing`, async () => {
      const conn = saslConnection(
        port,
        { mechanism, user: 'alice', password: PASSWORD },
        { clientId: 'reauth-test' },
      );
      // Two renewals span over one and a half lifetimes: without them the broker closes the connection.
      const run = await requestThroughRenewals(conn, 2, 4 * REAUTH_MS);
      expect(run.failure).toBeUndefined();
      expect(run.disconnects).toBe(0);
      expect(run.answered).toBeGreaterThan(10);
      expect(logs.some((l) => l.includes('expired without re-authentication'))).toBe(false);
    });
  }

  it('a renewal that fails (the password changed) drops the socket; the next request says why', async () => {
    await broker.security.credentials.set('carol', 'carol-old-pw', undefined, { persist: false });
    const conn = saslConnection(
      port,
      { mechanism: 'SCRAM-SHA-256', user: 'carol', password: 'carol-old-pw' },
      { clientId: 'reauth-fail-test' },
    );
    try {
      await conn.request(ApiKey.Metadata, { topics: [] });
      const dropped = new Promise<unknown>((resolve) => conn.connection.once('disconnect', resolve));
      await broker.security.credentials.set('carol', 'carol-new-pw', undefined, { persist: false });
      expect(String(await dropped)).toMatch(/SCRAM-SHA-256 authentication of user "carol".*failed/);
      expect(conn.stats().reauthentications).toBe(0);
      const err = await conn.request(ApiKey.Metadata, { topics: [] }).catch((e: unknown) => e);
      expect(String(err)).toMatch(/authentication of user "carol".*failed.*check the user name and password/);
      expect(String(err)).not.toContain('carol-old-pw');
    } finally {
      await conn.close();
    }
  });

  it('a socket lost with requests queued: the new one authenticates before they go out', async () => {
    const conn = saslConnection(
      port,
      { mechanism: 'SCRAM-SHA-256', user: 'alice', password: PASSWORD },
      { clientId: 'requeue-test', maxInFlight: 1 },
    );
    try {
      await conn.ready();
      // One request in flight, three queued behind the cap; then the socket goes.
      const requests = Array.from({ length: 4 }, () => conn.request(ApiKey.Metadata, { topics: [] }));
      // The broker (in this process) reads them on the loop's next poll; this runs before that.
      await new Promise((resolve) => setImmediate(resolve));
      expect(conn.stats()).toMatchObject({ inFlight: 1, queued: 3 });
      conn.connection.drop(new Error('socket lost in the test'));
      const results = await Promise.allSettled(requests);
      expect(results[0].status).toBe('rejected');
      expect(results.slice(1).map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual([
        'ok',
        'ok',
        'ok',
      ]);
    } finally {
      await conn.close();
    }
  });
});
