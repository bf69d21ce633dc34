import type { BrokerConnection } from '../../src/client/broker-connection.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { waitFor } from './burrow.js';

export interface RenewalRun {
  /** Metadata requests answered meanwhile. */
  answered: number;
  /** Times the socket was lost before the connection was closed. */
  disconnects: number;
  /** The first request that failed, if one did. */
  failure: unknown;
}

/**
 * Keeps three requesters busy on `conn` (so requests are in flight or queued when a renewal starts)
 * until it has re-authenticated `renewals` times (KIP-368) or a request failed, then closes it.
 */
export async function requestThroughRenewals(
  conn: BrokerConnection,
  renewals: number,
  timeoutMs: number,
): Promise<RenewalRun> {
  const run: RenewalRun = { answered: 0, disconnects: 0, failure: undefined };
  const countDisconnect = () => run.disconnects++;
  conn.connection.on('disconnect', countDisconnect);
  let running = true;
  const requester = async () => {
    while (running) {
      try {
        await conn.request(ApiKey.Metadata, { topics: [] });
        run.answered++;
      } catch (err) {
        run.failure ??= err;
        return;
      }
    }
  };
  const requesters = [requester(), requester(), requester()];
  try {
    await waitFor(
      `${renewals} re-authentications on ${conn.address}`,
      async () => (run.failure || conn.stats().reauthentications >= renewals ? true : undefined),
      timeoutMs,
    );
  } finally {
    running = false;
    await Promise.all(requesters);
    // close() ends the socket too; only losses before it count.
    conn.connection.off('disconnect', countDisconnect);
    await conn.close();
  }
  return run;
}
