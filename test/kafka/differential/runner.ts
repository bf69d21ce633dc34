import { apiName } from '../../../src/protocol/api-keys.js';
import { decodeResponse, encodeRequest } from '../../../src/protocol/messages.js';
import { buildRecordBatch } from '../../../src/protocol/record-batch.js';
import { unsignedVarintSize, writeUnsignedVarint } from '../../../src/protocol/varint.js';
import { frame, RawClient } from '../../helpers/raw-client.js';
import { type DiffCase, isAwait, readPath, type Step, stepName } from './script.js';

/**
 * Runs a differential case against one broker, step by step, over our codec, and returns what each step
 * got back (decoded, not yet normalised). The same script produces the same bytes on both sides: every
 * placeholder is filled from the run context and from values this side's earlier answers gave.
 */

/** What is shared by both sides of one run: the name suffix and T0 of `{{t:…}}` placeholders. */
export interface RunContext {
  suffix: string;
  t0: bigint;
}

/** One step's result: the decoded response, a closed connection, or a failure to get either. */
export type Outcome = { response: unknown } | { closed: true } | { error: string };

export interface Transcript {
  /** Step names in script order (an async step's result sits where its `await` is). */
  steps: Array<{ name: string; outcome: Outcome }>;
  /** Generated names (topics, groups, instance ids) → their placeholder, for the names normaliser. */
  names: Map<string, string>;
}

/** Bytes a step may send instead of a codec-encoded body: for APIs our codec does not describe. */
export interface RawBody {
  /** The body: bytes, and strings (placeholders allowed) written as compact (flexible) strings. */
  $raw: Buffer | Array<Buffer | string>;
  /** Request header v2 (flexible) instead of v1. */
  flexibleHeader?: boolean;
}

const STEP_TIMEOUT_MS = 10_000;
/** JoinGroup and SyncGroup may wait for a whole rebalance; Kafka's delay is 0 in the rig, ours too. */
const ASYNC_TIMEOUT_MS = 30_000;

/** The per-connection request pipeline: a step waits until the previous one on its connection is read. */
class Connection {
  private tail: Promise<unknown> = Promise.resolve();
  private correlation = 1;
  private read = 0;

  constructor(readonly raw: RawClient) {}

  exchange(step: Step, body: unknown, timeoutMs: number): Promise<Outcome> {
    const result = this.tail.then(() => this.sendAndRead(step, body, timeoutMs));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async sendAndRead(step: Step, body: unknown, timeoutMs: number): Promise<Outcome> {
    if (!this.raw.isOpen) return { closed: true };
    const correlationId = this.correlation++;
    const bytes = isRaw(body)
      ? rawRequest(step.apiKey, step.version, correlationId, body)
      : encodeRequest(step.apiKey, step.version, correlationId, 'sluice-diff', body as never);
    // The header's version field sits after the size prefix and the API key.
    if (step.wireVersion !== undefined) bytes.writeInt16BE(step.wireVersion, 6);
    try {
      await this.raw.write(bytes);
      const frames = await this.raw.waitForFrames(this.read + 1, timeoutMs);
      const bytesIn = frames[this.read++];
      if (isRaw(body)) return { response: { correlationId: bytesIn.readInt32BE(0), bytes: bytesIn.length } };
      const decoded = decodeResponse(step.apiKey, step.decodeAs ?? step.version, bytesIn);
      if (decoded.correlationId !== correlationId) {
        return { error: `correlation id ${decoded.correlationId}, sent ${correlationId}` };
      }
      return { response: decoded.body };
    } catch (err) {
      if (!this.raw.isOpen) return { closed: true };
      return { error: (err as Error).message };
    }
  }
}

function isRaw(body: unknown): body is RawBody {
  return typeof body === 'object' && body !== null && '$raw' in body;
}

/** A request frame for an API key our codec cannot encode: header (v1 or v2) and the given body bytes. */
function rawRequest(apiKey: number, version: number, correlationId: number, body: RawBody): Buffer {
  const clientId = Buffer.from('sluice-diff');
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const tags = body.flexibleHeader ? Buffer.from([0]) : Buffer.alloc(0);
  const parts = Buffer.isBuffer(body.$raw) ? [body.$raw] : body.$raw.map(compactString);
  return frame(Buffer.concat([header, clientId, tags, ...parts]));
}

function compactString(part: Buffer | string): Buffer {
  if (Buffer.isBuffer(part)) return part;
  const text = Buffer.from(part);
  const len = Buffer.alloc(unsignedVarintSize(text.length + 1));
  writeUnsignedVarint(len, 0, text.length + 1);
  return Buffer.concat([len, text]);
}

/** Fills the placeholders of a step body (see script.ts). */
export class Resolver {
  readonly vars = new Map<string, unknown>();
  readonly names = new Map<string, string>();

  constructor(
    private readonly caseName: string,
    private readonly ctx: RunContext,
  ) {}

  async resolve(value: unknown): Promise<unknown> {
    if (typeof value === 'string') return this.resolveString(value);
    if (Array.isArray(value)) return Promise.all(value.map((v) => this.resolve(v)));
    if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
    if ('$batch' in value) {
      const options = (await this.resolve((value as { $batch: unknown }).$batch)) as Parameters<
        typeof buildRecordBatch
      >[0];
      return buildRecordBatch(options);
    }
    if ('$raw' in value) {
      const raw = value as RawBody;
      return { ...raw, $raw: Buffer.isBuffer(raw.$raw) ? raw.$raw : await this.resolve(raw.$raw) };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await this.resolve(v);
    return out;
  }

  private resolveString(text: string): unknown {
    const whole = /^\{\{([^}]+)\}\}$/.exec(text);
    if (whole) return this.placeholder(whole[1]);
    return text.replace(/\{\{([^}]+)\}\}/g, (_m, p: string) => String(this.placeholder(p)));
  }

  private placeholder(token: string): unknown {
    const [kind, arg] = token.split(':', 2) as [string, string | undefined];
    switch (kind) {
      case 'topic':
      case 'group':
      case 'instance': {
        const name = `diff-${this.caseName}-${kind}${arg ? `-${arg}` : ''}-${this.ctx.suffix}`;
        this.names.set(name, `{{${token}}}`);
        return name;
      }
      case 'var': {
        if (!arg || !this.vars.has(arg)) throw new Error(`{{var:${arg}}} was not saved by an earlier step`);
        return this.vars.get(arg);
      }
      case 't':
        return this.ctx.t0 + BigInt(arg ?? 0);
      default:
        throw new Error(`unknown placeholder {{${token}}}: use topic, group, instance, var or t`);
    }
  }
}

/** Runs `c` against the broker at `port` and returns its transcript. */
export async function runCase(c: DiffCase, port: number, ctx: RunContext): Promise<Transcript> {
  const resolver = new Resolver(c.name, ctx);
  const conns = new Map<string, Connection>();
  const pending = new Map<string, { step: Step; outcome: Promise<Outcome> }>();
  const steps: Transcript['steps'] = [];
  const connection = async (name: string): Promise<Connection> => {
    let conn = conns.get(name);
    if (!conn) {
      conn = new Connection(await RawClient.open(port));
      conns.set(name, conn);
    }
    return conn;
  };
  try {
    for (const [index, step] of c.steps.entries()) {
      if (isAwait(step)) {
        const sent = pending.get(step.await);
        if (!sent) throw new Error(`${c.name}: await "${step.await}" names no earlier async step`);
        pending.delete(step.await);
        const outcome = await sent.outcome;
        save(sent.step, outcome, resolver);
        steps.push({ name: step.await, outcome });
        continue;
      }
      const name = stepName(step, index, apiName);
      const conn = await connection(step.conn ?? 'main');
      if (step.async) {
        const body = await resolver.resolve(step.body);
        pending.set(name, { step, outcome: conn.exchange(step, body, ASYNC_TIMEOUT_MS) });
        continue;
      }
      const outcome = await exchangeUntil(conn, step, resolver);
      save(step, outcome, resolver);
      steps.push({ name, outcome });
    }
    for (const [name, sent] of pending) steps.push({ name, outcome: await sent.outcome });
  } catch (err) {
    // A script that cannot go on (a value to save was missing) is itself a difference to report.
    steps.push({ name: 'script', outcome: { error: (err as Error).message } });
  } finally {
    for (const conn of conns.values()) conn.raw.close();
  }
  return { steps, names: resolver.names };
}

/** One exchange, repeated while the step's `retryWhile` condition holds. */
async function exchangeUntil(conn: Connection, step: Step, resolver: Resolver): Promise<Outcome> {
  const deadline = Date.now() + (step.retryWhile?.timeoutMs ?? STEP_TIMEOUT_MS);
  for (;;) {
    const body = await resolver.resolve(step.body);
    const outcome = await conn.exchange(step, body, step.expectClose ? 3_000 : STEP_TIMEOUT_MS);
    if (!step.retryWhile || !('response' in outcome)) return outcome;
    const seen = readPath(outcome.response, step.retryWhile.path);
    if (!step.retryWhile.in.includes(seen) || Date.now() > deadline) return outcome;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function save(step: Step, outcome: Outcome, resolver: Resolver): void {
  if (!step.save) return;
  if (!('response' in outcome))
    throw new Error(`cannot save ${Object.keys(step.save)} from ${JSON.stringify(outcome)}`);
  for (const [name, path] of Object.entries(step.save))
    resolver.vars.set(name, readPath(outcome.response, path));
}
