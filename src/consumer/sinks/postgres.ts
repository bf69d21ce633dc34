import { type Clock, realClock } from '../../flow/clock.js';
import { TokenBucket } from '../../flow/token-bucket.js';
import { loadOptional } from '../../protocol/optional-module.js';
import type { ConsumerRecord, Sink, SinkContext } from '../types.js';

/**
 * What the sink needs of a `pg.Pool` (a pool from the `pg` package fits). Declared here so that Sluice's
 * published types do not require `pg`'s, and `pg` stays an optional package installed only by its users.
 */
export interface PostgresPool {
  query(text: string, values: unknown[]): Promise<unknown>;
  end(): Promise<void>;
}

/**
 * Settings for the pool the sink creates, passed to `new pg.Pool(...)` unchanged: the common subset of pg's
 * PoolConfig (a `pg.PoolConfig` value is accepted as it is).
 */
export interface PostgresConnectionOptions {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  /** A string, or a function returning one (pg calls it per connection, e.g. for rotating tokens). */
  password?: string | (() => string | Promise<string>);
  database?: string;
  /** Pool size (default 10). */
  max?: number;
  connectionTimeoutMillis?: number;
  idleTimeoutMillis?: number;
  /** TLS: true, or options for `tls.connect` (pg's `ssl`). */
  ssl?: boolean | object;
  application_name?: string;
  statement_timeout?: number | false;
}

interface PgModule {
  Pool: new (config: PostgresConnectionOptions) => PostgresPool;
}

export interface PostgresSinkOptions {
  /** A pool to use, or settings to create one (closed by `close()` only when created here). */
  pool?: PostgresPool;
  connection?: PostgresConnectionOptions;
  table: string;
  /** The row a record becomes (column -> value). Return null to skip the record. */
  toRow: (record: ConsumerRecord) => Record<string, unknown> | null;
  /** The unique key the upsert is idempotent on (e.g. ['booking_id']). */
  conflictColumns: string[];
  /**
   * Only overwrite when the incoming row's value of this column is >= the stored one (a version or
   * event time), so a redelivered old event never rolls a row back.
   */
  versionColumn?: string;
  /** A column counting how many times the row was written (1 on insert, +1 per redelivery). */
  deliveriesColumn?: string;
  /** Throughput ceiling in upserts/s (a TokenBucket), e.g. to model a database slowed by an index rebuild. */
  maxRatePerSec?: number;
  clock?: Clock;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
function ident(name: string, what: string): string {
  if (!IDENT.test(name)) {
    throw new TypeError(`postgres sink: ${what} ${JSON.stringify(name)} must be a plain SQL identifier`);
  }
  return `"${name}"`;
}

/**
 * Idempotent upserts into PostgreSQL: `INSERT ... ON CONFLICT (key) DO UPDATE`, so redelivering a record
 * (at-least-once delivery after a crash) leaves the same single row. A write resolves once PostgreSQL
 * committed it, which is when the runtime may commit the Kafka offset.
 */
export class PostgresSink implements Sink {
  readonly name = 'postgres';
  readonly pool: PostgresPool;
  private readonly ownsPool: boolean;
  private readonly options: PostgresSinkOptions;
  private readonly bucket: TokenBucket | null;
  private readonly statements = new Map<string, string>();
  readonly counts = { upserts: 0, skipped: 0, errors: 0 };

  constructor(options: PostgresSinkOptions) {
    ident(options.table, 'table');
    if (!options.conflictColumns?.length) {
      throw new TypeError(
        'postgres sink: conflictColumns must name the unique key the upsert is idempotent on',
      );
    }
    for (const c of options.conflictColumns) ident(c, 'conflict column');
    if (options.versionColumn) ident(options.versionColumn, 'version column');
    if (options.deliveriesColumn) ident(options.deliveriesColumn, 'deliveries column');
    this.options = options;
    this.ownsPool = !options.pool;
    this.pool = options.pool ?? createPool(options.connection);
    this.bucket =
      options.maxRatePerSec === undefined
        ? null
        : new TokenBucket({
            ratePerSec: options.maxRatePerSec,
            burst: Math.max(1, Math.ceil(options.maxRatePerSec / 20)),
            clock: options.clock ?? realClock,
          });
  }

  async write(record: ConsumerRecord, context: SinkContext): Promise<void> {
    const row = this.options.toRow(record);
    if (row === null) {
      this.counts.skipped++;
      return;
    }
    if (this.bucket) await this.bucket.acquire(1, context.signal);
    const columns = Object.keys(row);
    const sql = this.statementFor(columns);
    try {
      await this.pool.query(
        sql,
        columns.map((c) => row[c]),
      );
      this.counts.upserts++;
    } catch (err) {
      this.counts.errors++;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  /** One statement text per column set, so PostgreSQL can reuse its plan. */
  private statementFor(columns: string[]): string {
    const cacheKey = columns.join(',');
    const cached = this.statements.get(cacheKey);
    if (cached) return cached;
    const o = this.options;
    const table = ident(o.table, 'table');
    const cols = columns.map((c) => ident(c, 'column'));
    const conflict = new Set(o.conflictColumns);
    const insertCols = [...cols];
    const values = columns.map((_, i) => `$${i + 1}`);
    const deliveries = o.deliveriesColumn ? ident(o.deliveriesColumn, 'deliveries column') : null;
    if (deliveries) {
      insertCols.push(deliveries);
      values.push('1');
    }
    const updates = columns
      .filter((c) => !conflict.has(c))
      .map((c) => `${ident(c, 'column')} = EXCLUDED.${ident(c, 'column')}`);
    if (deliveries) updates.push(`${deliveries} = ${table}.${deliveries} + 1`);
    const target = o.conflictColumns.map((c) => ident(c, 'conflict column')).join(', ');
    let sql = `INSERT INTO ${table} (${insertCols.join(', ')}) VALUES (${values.join(', ')}) ON CONFLICT (${target})`;
    if (updates.length === 0) sql += ' DO NOTHING';
    else {
      sql += ` DO UPDATE SET ${updates.join(', ')}`;
      if (o.versionColumn) {
        const v = ident(o.versionColumn, 'version column');
        sql += ` WHERE ${table}.${v} <= EXCLUDED.${v}`;
      }
    }
    this.statements.set(cacheKey, sql);
    return sql;
  }
}

function createPool(connection: PostgresConnectionOptions | undefined): PostgresPool {
  const pg = loadOptional<PgModule>('pg', 'pg', 'the PostgreSQL sink');
  return new pg.Pool({ max: 10, ...connection });
}
