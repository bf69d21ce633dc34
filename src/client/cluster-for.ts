import type { Clock } from '../flow/clock.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { ConfigError } from './errors.js';

/** How a client component gets its connections: a shared `cluster`, or `brokers` to connect to. */
export interface ClusterChoice {
  cluster?: Cluster;
  brokers?: string[];
  clientId?: string;
  clusterOptions?: Omit<ClusterOptions, 'brokers' | 'clock'>;
  clock?: Clock;
}

/**
 * Borrows the shared cluster when one is given, else builds one from `brokers`; `owned` says whether
 * the caller must close it. `who` names the component in the error ("kafka source", "MessageConsumer").
 */
export function clusterFor(
  choice: ClusterChoice,
  who: string,
  defaultClientId: string,
): { cluster: Cluster; owned: boolean } {
  if (choice.cluster) return { cluster: choice.cluster, owned: false };
  if (!choice.brokers?.length) {
    throw new ConfigError(`${who}: give \`brokers\` (["host:port"]) or a shared \`cluster\``);
  }
  const cluster = new Cluster({
    ...choice.clusterOptions,
    brokers: choice.brokers,
    clientId: choice.clientId ?? defaultClientId,
    clock: choice.clock,
  });
  return { cluster, owned: true };
}

/** The choice of a component whose options are the cluster's own (Admin, DeadLetters). */
export function clusterChoice(options: ClusterOptions | { cluster: Cluster }): ClusterChoice {
  if ('cluster' in options) return { cluster: options.cluster };
  const { brokers, clientId, clock, ...clusterOptions } = options;
  return { brokers, clientId, clock, clusterOptions };
}
