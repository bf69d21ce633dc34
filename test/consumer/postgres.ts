import { execSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import pg from 'pg';

/** The machine's PostgreSQL (trust auth, database `test`), as the tests use it. */
export const PG_CONFIG: pg.ClientConfig = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};

async function canConnect(): Promise<string | null> {
  const client = new pg.Client({ ...PG_CONFIG, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Makes sure PostgreSQL answers: if it does not, tries to start the Debian cluster. Returns null when
 * it is up, else the reason. Under CI the caller must fail on a reason; elsewhere skip loudly.
 */
export async function ensurePostgres(): Promise<string | null> {
  let reason = await canConnect();
  if (reason === null) return null;
  try {
    const versions = readdirSync('/etc/postgresql');
    for (const v of versions) {
      execSync(`pg_ctlcluster --skip-systemctl-redirect ${v} main start`, {
        stdio: 'ignore',
        timeout: 30_000,
      });
    }
  } catch (err) {
    reason = `${reason}; starting it failed: ${(err as Error).message.split('\n')[0]}`;
  }
  for (let i = 0; i < 20; i++) {
    if ((await canConnect()) === null) return null;
    await new Promise((r) => setTimeout(r, 500));
  }
  return `PostgreSQL at ${PG_CONFIG.host}:${PG_CONFIG.port} (user ${PG_CONFIG.user}, db ${PG_CONFIG.database}) is not reachable: ${reason}. Install postgresql and create database "test" with trust auth for 127.0.0.1`;
}
