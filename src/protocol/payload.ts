/**
 * Versioned payloads Kafka nests inside other messages and records: the "consumer" protocol's member
 * metadata and assignments, and the keys and values of `__consumer_offsets` and `__transaction_state`.
 * Each is an int16 version followed by a non-flexible struct. They are described with the same field
 * vocabulary as the APIs (schema.ts) and read and written by the same generated codec, so a payload's
 * layout is written down once, as data, and its TypeScript type is derived from that description.
 */

import { ProtocolDecodeError } from './codec/decode-error.js';
import { compileStruct, defaultValue, type StructPlan } from './codec/plan.js';
import { Reader, readStruct } from './codec/read.js';
import { sizeStruct, Writer, writeStruct } from './codec/write.js';
import { type FieldSpec, parseVersionRange, type StructOf } from './schema.js';

export interface PayloadSpec {
  /** Kafka's name for the payload, used in error messages. */
  name: string;
  /** The versions described (all non-flexible). */
  versions: string;
  fields: readonly FieldSpec[];
}

interface PayloadOptions {
  /** Builds the error thrown for bytes that are not this payload (each caller names its own). */
  error: (message: string) => Error;
  /**
   * Newer versions only append fields: read a version above the described ones with the newest layout
   * (and ignore what follows) instead of refusing it.
   */
  readNewerAsLatest?: boolean;
  /**
   * Accept a payload that stops after any of its fields (some writers announce a version but leave out
   * its later fields): the missing ones read as their defaults.
   */
  mayStopEarly?: boolean;
}

/** What a payload of spec `S` holds: every field (those missing from a version read as their default). */
export type PayloadValue<S extends PayloadSpec> = { version: number } & Required<
  StructOf<S['fields'], S['versions']>
>;

type Described<S extends PayloadSpec> = StructOf<S['fields'], S['versions']>;
type Defaulted<S extends PayloadSpec> = Extract<S['fields'][number], { default: unknown }>['name'];

/** What `encode` takes: fields with a default, or missing from some versions, may be left out. */
export type PayloadInput<S extends PayloadSpec> = Omit<Described<S>, Defaulted<S>> &
  Partial<Pick<Described<S>, Defaulted<S> & keyof Described<S>>>;

export interface Payload<S extends PayloadSpec> {
  readonly spec: S;
  /** The int16 version followed by the struct laid out for that version. */
  encode(version: number, value: PayloadInput<S>): Buffer;
  decode(buf: Buffer): PayloadValue<S>;
}

export function definePayload<const S extends PayloadSpec>(spec: S, options: PayloadOptions): Payload<S> {
  const range = parseVersionRange(spec.versions);
  if (!range) throw new Error(`payload ${spec.name} describes no versions`);
  const plans = new Map<string, StructPlan>();
  const plan = (version: number, fieldCount = spec.fields.length): StructPlan => {
    const id = `${version}/${fieldCount}`;
    let p = plans.get(id);
    if (!p) plans.set(id, (p = compileStruct(spec.fields.slice(0, fieldCount), version, false)));
    return p;
  };
  const fail = (err: unknown): Error => {
    if (!(err instanceof ProtocolDecodeError) && !(err instanceof RangeError)) return err as Error;
    const problem =
      err instanceof ProtocolDecodeError && err.reason === 'truncated' ? 'is truncated' : 'is invalid';
    return options.error(`${spec.name} ${problem}: ${err.message}`);
  };

  return {
    spec,
    encode(version, value) {
      if (version < range.min || version > range.max) {
        throw new RangeError(`${spec.name} v${version} is not described (versions ${spec.versions})`);
      }
      const p = plan(version);
      const o = value as Record<string, unknown>;
      const buf = Buffer.allocUnsafe(2 + sizeStruct(p, o));
      buf.writeInt16BE(version, 0);
      writeStruct(new Writer(buf, 2), p, o);
      return buf;
    },
    decode(buf) {
      if (buf.length < 2)
        throw options.error(`${spec.name} is truncated: ${buf.length} bytes, no int16 version`);
      const version = buf.readInt16BE(0);
      if (version < range.min || (version > range.max && !options.readNewerAsLatest)) {
        throw options.error(
          `${spec.name} has schema version ${version}; Sluice reads versions ${range.min}-${range.max}`,
        );
      }
      const layout = Math.min(version, range.max);
      try {
        return { version, ...readStruct(new Reader(buf, 2, buf.length), plan(layout)) } as PayloadValue<S>;
      } catch (err) {
        const partial = options.mayStopEarly ? readPrefix(buf, layout) : null;
        if (partial) return { version, ...partial } as PayloadValue<S>;
        throw fail(err);
      }
    },
  };

  /** The longest run of leading fields that ends exactly where the bytes do, the rest as defaults. */
  function readPrefix(buf: Buffer, version: number): Record<string, unknown> | null {
    for (let count = spec.fields.length - 1; count >= 1; count--) {
      const r = new Reader(buf, 2, buf.length);
      try {
        const o = readStruct(r, plan(version, count));
        if (r.pos !== buf.length) continue;
        for (const field of spec.fields.slice(count)) o[field.name] = defaultValue(field);
        return o;
      } catch {}
    }
    return null;
  }
}
