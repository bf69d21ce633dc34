import { afterAll, beforeAll } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster, type ClusterOptions } from '../../src/client/cluster.js';
import { waitFor } from '../helpers/burrow.js';
import type { BrokerTarget, Target } from '../helpers/targets.js';

/** The target's bootstrap list as our client takes it ("h:p,h:p" becomes two entries). */
export const brokersOf = (target: BrokerTarget): string[] => target.bootstrap.split(',');

/**
 * A random suffix per suite registration: the Kafka cluster is shared by every file of the run, so a
 * topic or group name must not collide with another file's (or a repeated registration's).
 */
export function namer(): (base: string) => string {
  const suffix = Math.random().toString(36).slice(2, 8);
  return (base) => `${base}-${suffix}`;
}

export interface ClientFixture {
  cluster: Cluster;
  admin: Admin;
  /** A cluster of its own (own connections and metadata), closed after the suite. */
  newCluster(clientId: string, options?: Omit<ClusterOptions, 'brokers' | 'clientId'>): Cluster;
  /** A topic or group name unique to this suite run. */
  name(base: string): string;
}

/** A shared Cluster and Admin on the target for the suite's tests, and every extra Cluster closed after. */
export function clientFixture(target: Target, clientId: string): () => ClientFixture {
  const name = namer();
  const extra: Cluster[] = [];
  let fx: ClientFixture | undefined;
  beforeAll(async () => {
    const newCluster: ClientFixture['newCluster'] = (id, options = {}) => {
      const c = new Cluster({ ...options, brokers: brokersOf(target()), clientId: id });
      extra.push(c);
      return c;
    };
    const cluster = newCluster(clientId);
    const admin = new Admin({ cluster });
    await admin.connect();
    fx = { cluster, admin, newCluster, name };
  });
  afterAll(() => {
    for (const c of extra) c.close();
  });
  return () => {
    if (!fx) throw new Error('the client fixture is not set up (beforeAll did not run)');
    return fx;
  };
}

/** Waits until `predicate` holds (test/helpers/burrow.ts's waitFor); past `timeoutMs` fails naming `what`. */
export async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  await waitFor(what, async () => ((await predicate()) ? true : undefined), timeoutMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `assertion` on what a metadata change (a topic created, grown, reconfigured, deleted) just did.
 * The embedded broker answers from the state the request changed, so there it must hold at once.
 * Kafka's brokers apply the controller's metadata log a moment after the request returned, so a broker
 * other than the controller may still answer with the old state: there it is retried until it holds.
 */
export async function settled(
  target: Target,
  what: string,
  assertion: () => Promise<void>,
  timeoutMs = 15_000,
): Promise<void> {
  if (target().kind !== 'kafka') return assertion();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`Kafka did not settle on: ${what}: ${(err as Error).message}`, { cause: err });
      }
      await sleep(100);
    }
  }
}
