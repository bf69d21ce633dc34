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

export interface FieldSpec {
  /** Kafka's field name in lowerCamelCase: the property name in our objects. */
  name: string;
  type: FieldType;
  /** Versions in which the field exists (tagged fields: versions in which it may appear). */
  versions: VersionRange;
  /** Versions in which the value may be null (strings, bytes, records, arrays, structs). */
  nullable?: VersionRange;
  /** Tag number of a tagged field (only written in flexible versions, in the struct's tag buffer). */
  tag?: number;
  /** Versions in which the field is tagged rather than positional. */
  tagged?: VersionRange;
  /** Value used when the field is absent in a version (or absent from an object being encoded). */
  default?: unknown;
  /** Members of a struct or of each element of an array of structs. */
  fields?: FieldSpec[];
}

export interface ApiSpec<Req = unknown, Res = unknown> {
  key: number;
  name: string;
  /** Versions the description covers (the broker advertises fewer: its handler registry). */
  versions: VersionRange;
  /** Versions using compact strings/arrays/bytes and tagged fields (request header v2, response header v1). */
  flexible: VersionRange;
  request: FieldSpec[];
  response: FieldSpec[];
  /** Phantom: carries the request/response body types for the typed helpers. Never set at runtime. */
  readonly __types?: { request: Req; response: Res };
}

export function defineApi<Req, Res>(spec: ApiSpec<Req, Res>): ApiSpec<Req, Res> {
  return spec;
}

export function f(
  name: string,
  type: FieldType,
  versions: VersionRange,
  options: Omit<FieldSpec, 'name' | 'type' | 'versions'> = {},
): FieldSpec {
  return { name, type, versions, ...options };
}

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
