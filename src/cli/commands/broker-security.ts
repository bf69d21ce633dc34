import { type Command, InvalidArgumentError, Option } from 'commander';
import { CredentialStore } from '../../broker/auth/credentials.js';
import { SASL_MECHANISMS, type SaslMechanism, type SecurityOptions } from '../../broker/auth/security.js';
import type { BrokerOptions } from '../../broker/config.js';
import { integer } from '../options.js';

/** The `sluice broker` flags for listeners, TLS, SASL and ACLs (Kafka's names in the help). */
export interface BrokerSecurityFlags {
  listeners?: string;
  advertisedListeners?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsClientAuth: 'none' | 'requested' | 'required';
  saslMechanisms?: string;
  authorizer: boolean;
  superUsers?: string;
  allowEveryoneIfNoAclFound: boolean;
  failedAuthDelayMs?: number;
  reauthMs?: number;
  allowInsecure: boolean;
}

export function addSecurityOptions(command: Command): Command {
  return command
    .option(
      '--listeners <list>',
      "Kafka's listeners: PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093 (default: PLAINTEXT on --host:--port)",
    )
    .option(
      '--advertised-listeners <list>',
      "Kafka's advertised.listeners, by protocol: SASL_SSL://broker.example:9093",
    )
    .option('--tls-cert <file>', 'PEM certificate chain for SSL/SASL_SSL listeners')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-ca <file>', 'PEM CA bundle client certificates must chain to')
    .addOption(
      new Option(
        '--tls-client-auth <mode>',
        "Kafka's ssl.client.auth; a client certificate's DN becomes its principal",
      )
        .choices(['none', 'requested', 'required'])
        .default('none'),
    )
    .option(
      '--sasl-mechanisms <list>',
      `mechanisms SASL listeners offer (default ${SASL_MECHANISMS.join(',')})`,
    )
    .option(
      '--authorizer',
      'enforce ACLs (kafka-acls, CreateAcls); without it every principal may do everything',
      false,
    )
    .option(
      '--super-users <list>',
      "principals allowed everything, e.g. User:admin;User:ops (Kafka's super.users)",
    )
    .option(
      '--allow-everyone-if-no-acl-found',
      'resources without any ACL are open (Kafka default: closed)',
      false,
    )
    .option(
      '--failed-auth-delay-ms <ms>',
      'delay before answering a failed authentication (connection.failed.authentication.delay.ms, default 100)',
      integer('--failed-auth-delay-ms'),
    )
    .option(
      '--reauth-ms <ms>',
      'session lifetime after which clients re-authenticate (connections.max.reauth.ms, KIP-368; default none)',
      integer('--reauth-ms'),
    )
    .option(
      '--allow-insecure',
      'allow a non-loopback listener without authentication (prints a warning)',
      false,
    );
}

/** Maps the flags onto BrokerOptions; the broker's config validation says what is missing. */
export function securityOptions(flags: BrokerSecurityFlags): Partial<BrokerOptions> {
  const security: SecurityOptions = {};
  if (flags.tlsCert || flags.tlsKey) {
    if (!flags.tlsCert || !flags.tlsKey)
      throw new InvalidArgumentError('--tls-cert and --tls-key go together');
    security.tls = {
      certFile: flags.tlsCert,
      keyFile: flags.tlsKey,
      caFile: flags.tlsCa,
      clientAuth: flags.tlsClientAuth,
    };
  }
  if (flags.saslMechanisms) {
    const list = flags.saslMechanisms.split(',').map((m) => m.trim().toUpperCase());
    for (const m of list) {
      if (!(SASL_MECHANISMS as readonly string[]).includes(m)) {
        throw new InvalidArgumentError(`--sasl-mechanisms: ${m} is not one of ${SASL_MECHANISMS.join(', ')}`);
      }
    }
    security.saslMechanisms = list as SaslMechanism[];
  }
  if (flags.authorizer || flags.superUsers) {
    security.authorizer = {
      superUsers: (flags.superUsers ?? '')
        .split(/[;,]/)
        .map((s) => s.trim())
        .filter(Boolean),
      allowEveryoneIfNoAclFound: flags.allowEveryoneIfNoAclFound,
    };
  }
  security.failedAuthDelayMs = flags.failedAuthDelayMs;
  security.reauthMs = flags.reauthMs;
  return {
    listeners: flags.listeners,
    advertisedListeners: flags.advertisedListeners,
    security,
    allowInsecure: flags.allowInsecure,
  };
}

/** Reads a password from stdin (one line), so it stays out of the shell history and `ps`. */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `--data-dir` is the broker command's own option: `sluice broker --data-dir d users add bob` or `… users add bob --data-dir d`. */
function dataDirOf(cmd: Command, fallback: string): string {
  return (cmd.optsWithGlobals() as { dataDir?: string }).dataDir ?? fallback;
}

/** `sluice broker users add|delete|list`: SASL users in `<data-dir>/users.json` (salted, no passwords). */
export function registerUsers(broker: Command, defaultDataDir: string): void {
  const users = broker.command('users').description('manage SASL users (PLAIN and SCRAM) in the data dir');
  users
    .command('add <name>')
    .description('add or replace a user; the password comes from SLUICE_USER_PASSWORD, or stdin')
    .option(
      '--iterations <n>',
      'SCRAM iteration count (at least 4096, as in Kafka)',
      integer('--iterations', 4096),
      4096,
    )
    .action(async (name: string, flags: { iterations: number }, cmd: Command) => {
      const dataDir = dataDirOf(cmd, defaultDataDir);
      const password = process.env.SLUICE_USER_PASSWORD ?? (await readPassword());
      if (password === '') {
        throw new InvalidArgumentError('no password: set SLUICE_USER_PASSWORD or pipe it on stdin');
      }
      const store = await CredentialStore.open(dataDir);
      await store.set(name, password, flags.iterations);
      process.stdout.write(`user ${name} saved (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) in ${dataDir}\n`);
    });
  users
    .command('delete <name>')
    .description('remove a user')
    .action(async (name: string, _flags: unknown, cmd: Command) => {
      const dataDir = dataDirOf(cmd, defaultDataDir);
      const store = await CredentialStore.open(dataDir);
      if (!(await store.delete(name))) throw new InvalidArgumentError(`no user ${name} in ${dataDir}`);
      process.stdout.write(`user ${name} deleted\n`);
    });
  users
    .command('list')
    .description('list users and their SCRAM mechanisms')
    .action(async (_flags: unknown, cmd: Command) => {
      const store = await CredentialStore.open(dataDirOf(cmd, defaultDataDir));
      for (const name of store.names())
        process.stdout.write(`${name}\t${store.mechanismsOf(name).join(',')}\n`);
    });
}
