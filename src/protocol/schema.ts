/**
 * The vocabulary the API descriptions in `apis/` are written in. Each API is a plain data structure
 * (fields, types, the versions each field exists in, nullable/flexible/tagged versions, defaults); the
 * generic codec in `messages.ts` compiles it once per (API, version, direction) and interprets it.
 */

/** Scalar wire types. `records` is a record set kept as raw bytes, never decoded by the codec. */
type PrimitiveType =
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'uuid'
  | 'records';

type FieldType = PrimitiveType | `[]${PrimitiveType}` | 'struct' | '[]struct';

/**
 * A version range as Kafka writes it: `"3"`, `"0-4"`, `"9+"` or `"none"`.
 */
type VersionRange = string;

/** What a field may say beyond its name, type and versions. */
export interface FieldOptions {
  /** Versions in which the value may be null (strings, bytes, records, arrays, structs). */
  nullable?: VersionRange;
  /** Tag number of a tagged field (only written in flexible versions, in the struct's tag buffer). */
  tag?: number;
  /** Versions in which the field is tagged rather than positional. */
  tagged?: VersionRange;
  /** Value used when the field is absent in a version (or absent from an object being encoded). */
  default?: unknown;
  /** Members of a struct or of each element of an array of structs. */
  fields?: readonly FieldSpec[];
}

export interface FieldSpec extends FieldOptions {
  /** Kafka's field name in lowerCamelCase: the property name in our objects. */
  name: string;
  type: FieldType;
  /** Versions in which the field exists (tagged fields: versions in which it may appear). */
  versions: VersionRange;
}

export interface ApiSpec {
  key: number;
  name: string;
  /** Versions the description covers (the broker advertises fewer: its handler registry). */
  versions: VersionRange;
  /** Versions using compact strings/arrays/bytes and tagged fields (request header v2, response header v1). */
  flexible: VersionRange;
  request: readonly FieldSpec[];
  response: readonly FieldSpec[];
}

/**
 * Declares an API. The field lists are kept as literal types, so `RequestOf`/`ResponseOf` derive the
 * TypeScript body types from them: the description is the only place an API's fields are written.
 */
export function defineApi<const S extends ApiSpec>(spec: S): S {
  return spec;
}

export function f<
  const N extends string,
  const T extends FieldType,
  const V extends VersionRange,
  const O extends FieldOptions = Record<never, never>,
>(name: N, type: T, versions: V, options: O = {} as O): { name: N; type: T; versions: V } & O {
  return { name, type, versions, ...options };
}

// Body types derived from the field lists. A field is required when it exists in every version of its
// struct (its range is the struct's own, "0+", or "N+" where N is the struct's first version) and is not
// tagged; any other field may be missing from a decoded or hand-built object (the codec fills its
// default). A field with a `nullable` range may be null.

type ScalarValue<T> = T extends 'int64'
  ? bigint
  : T extends 'bool'
    ? boolean
    : T extends 'string' | 'uuid'
      ? string
      : T extends 'bytes' | 'records'
        ? Buffer
        : number;

/** The first version of a range: "3" of "3+", "3-7" or "3". */
type FirstVersion<R> = R extends `${infer N}+`
  ? N
  : R extends `${infer N}-${string}`
    ? N
    : R extends string
      ? R
      : never;

type BaseValue<F> = F extends {
  type: '[]struct';
  versions: infer R;
  fields: infer Sub extends readonly FieldSpec[];
}
  ? Array<StructOf<Sub, R & string>>
  : F extends { type: 'struct'; versions: infer R; fields: infer Sub extends readonly FieldSpec[] }
    ? StructOf<Sub, R & string>
    : F extends { type: `[]${infer E}` }
      ? Array<ScalarValue<E>>
      : F extends { type: infer T }
        ? ScalarValue<T>
        : never;

type FieldValue<F> = F extends { nullable: string } ? BaseValue<F> | null : BaseValue<F>;

type IsRequired<F, Range extends string> = F extends { versions: Range | `${FirstVersion<Range>}+` | '0+' }
  ? F extends { tagged: string }
    ? false
    : true
  : false;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The object type of a struct described by `Fs` that exists in the versions `Range`. */
export type StructOf<Fs extends readonly FieldSpec[], Range extends string = '0+'> = Simplify<
  { [F in Fs[number] as IsRequired<F, Range> extends true ? F['name'] : never]: FieldValue<F> } & {
    [F in Fs[number] as IsRequired<F, Range> extends true ? never : F['name']]?: FieldValue<F>;
  }
>;

export type RequestOf<A extends ApiSpec> = StructOf<A['request'], A['versions']>;
export type ResponseOf<A extends ApiSpec> = StructOf<A['response'], A['versions']>;
interface ParsedRange {
  min: number;
  /** Inclusive; `Infinity` for open ranges such as `"9+"`. */
  max: number;
}

/** Parses `"3"`, `"0-4"`, `"9+"`; `"none"` and `undefined` give `null` (no versions). */
export function parseVersionRange(range: VersionRange | undefined): ParsedRange | null {
  if (range === undefined || range === 'none' || range === '') return null;
  const match = /^(\d+)(?:(\+)|-(\d+))?$/.exec(range);
  if (!match) throw new Error(`invalid version range "${range}": expected "N", "N-M", "N+" or "none"`);
  const min = Number(match[1]);
  const max = match[2] ? Number.POSITIVE_INFINITY : match[3] !== undefined ? Number(match[3]) : min;
  return { min, max };
}

export function inRange(range: VersionRange | undefined, version: number): boolean {
  const parsed = parseVersionRange(range);
  return parsed !== null && version >= parsed.min && version <= parsed.max;
}
