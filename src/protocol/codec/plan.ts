/**
 * Compiled plans: an API description (apis/*.ts) narrowed to one version and direction, with each field's
 * kind, nullability, tag and default resolved once. The reader and writer generate their code from these.
 */
import { API_SPECS } from '../apis/index.js';
import { type ApiSpec, type FieldSpec, inRange, parseVersionRange } from '../schema.js';
import { ProtocolDecodeError } from './decode-error.js';
import type { Reader } from './read.js';
import type { Writer } from './write.js';

export enum Kind {
  Int8,
  Int16,
  Uint16,
  Int32,
  Uint32,
  Int64,
  Float64,
  Bool,
  String,
  Bytes,
  Uuid,
  Records,
  Array,
  Struct,
}

/** Bytes a value of each fixed-width kind takes on the wire (the rest are length-prefixed). */
export const FIXED_SIZE: Partial<Record<Kind, number>> = {
  [Kind.Int8]: 1,
  [Kind.Bool]: 1,
  [Kind.Int16]: 2,
  [Kind.Uint16]: 2,
  [Kind.Int32]: 4,
  [Kind.Uint32]: 4,
  [Kind.Int64]: 8,
  [Kind.Float64]: 8,
  [Kind.Uuid]: 16,
};

const KIND_BY_NAME: Record<string, Kind> = {
  int8: Kind.Int8,
  int16: Kind.Int16,
  uint16: Kind.Uint16,
  int32: Kind.Int32,
  uint32: Kind.Uint32,
  int64: Kind.Int64,
  float64: Kind.Float64,
  bool: Kind.Bool,
  string: Kind.String,
  bytes: Kind.Bytes,
  uuid: Kind.Uuid,
  records: Kind.Records,
  struct: Kind.Struct,
};

export interface FieldPlan {
  readonly name: string;
  readonly kind: Kind;
  /** Element kind of an array (Kind.Struct for arrays of structs). */
  readonly elem: Kind;
  readonly nullable: boolean;
  readonly struct: StructPlan | null;
  /** Tag number, or -1 for positional fields. */
  readonly tag: number;
  readonly spec: FieldSpec;
}

export interface StructPlan {
  readonly flexible: boolean;
  readonly fields: readonly FieldPlan[];
  /** Tagged fields of this version, sorted by tag. */
  readonly tagged: readonly FieldPlan[];
  readonly taggedByTag: ReadonlyMap<number, FieldPlan>;
  /** Fields that do not exist in this version: decoded objects get their default. */
  readonly absent: readonly FieldSpec[];
  /** Specialised decoder, generated on first use (see compileDecoder). */
  decode: StructDecoder | null;
  /** Decoders that step over some fields (see SkipFields in read.ts), by the caller's set. */
  skipping: Map<ReadonlySet<string>, StructDecoder> | null;
  /** Specialised size and write functions, generated on first use (see compileEncoder). */
  size: StructSizer | null;
  write: StructWriter | null;
}

export type StructSizer = (o: Record<string, unknown>) => number;
export type StructWriter = (w: Writer, o: Record<string, unknown>) => void;

export type StructDecoder = (r: Reader) => Record<string, unknown>;

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
export const EMPTY = Buffer.alloc(0);

export function compileStruct(specs: readonly FieldSpec[], version: number, flexible: boolean): StructPlan {
  const fields: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  const absent: FieldSpec[] = [];
  for (const spec of specs) {
    if (!inRange(spec.versions, version)) {
      absent.push(spec);
      continue;
    }
    const isTagged = spec.tag !== undefined && flexible && inRange(spec.tagged, version);
    if (spec.tag !== undefined && !isTagged) {
      // A field that is only ever tagged does not exist in non-flexible versions.
      if (spec.tagged !== undefined && !flexible) {
        absent.push(spec);
        continue;
      }
    }
    const isArray = spec.type.startsWith('[]');
    const base = isArray ? spec.type.slice(2) : spec.type;
    const elem = KIND_BY_NAME[base];
    if (elem === undefined) throw new Error(`field ${spec.name}: unknown type ${spec.type}`);
    const needsStruct = elem === Kind.Struct;
    if (needsStruct && !spec.fields) throw new Error(`field ${spec.name}: struct without fields`);
    const plan: FieldPlan = {
      name: spec.name,
      kind: isArray ? Kind.Array : elem,
      elem,
      nullable: inRange(spec.nullable, version),
      struct: needsStruct ? compileStruct(spec.fields!, version, flexible) : null,
      tag: isTagged ? spec.tag! : -1,
      spec,
    };
    (isTagged ? tagged : fields).push(plan);
  }
  tagged.sort((a, b) => a.tag - b.tag);
  return {
    flexible,
    fields,
    tagged,
    taggedByTag: new Map(tagged.map((p) => [p.tag, p])),
    absent,
    decode: null,
    skipping: null,
    size: null,
    write: null,
  };
}

/** A fresh default value for a field (fresh so that callers may mutate arrays and structs they decoded). */
export function defaultValue(spec: FieldSpec): unknown {
  if (spec.default !== undefined) return spec.default;
  if (spec.type.startsWith('[]')) return [];
  switch (spec.type) {
    case 'int64':
      return 0n;
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return EMPTY;
    case 'records':
      return null;
    case 'uuid':
      return ZERO_UUID;
    case 'struct': {
      const o: Record<string, unknown> = {};
      for (const f of spec.fields ?? []) o[f.name] = defaultValue(f);
      return o;
    }
    default:
      return 0;
  }
}

interface VersionPlan {
  readonly spec: ApiSpec;
  readonly version: number;
  readonly flexible: boolean;
  readonly request: StructPlan;
  readonly response: StructPlan;
}

const planCache: Array<Array<VersionPlan | undefined> | undefined> = [];

export function describedRange(spec: ApiSpec): { min: number; max: number } {
  return parseVersionRange(spec.versions)!;
}

/** True when `apiVersion` of `apiKey` uses compact encodings and tagged fields. */
export function isFlexibleVersion(apiKey: number, apiVersion: number): boolean {
  const spec = API_SPECS[apiKey];
  return spec !== undefined && inRange(spec.flexible, apiVersion);
}

export function planFor(apiKey: number, apiVersion: number): VersionPlan {
  const cached = planCache[apiKey]?.[apiVersion];
  if (cached) return cached;
  const spec = API_SPECS[apiKey];
  if (!spec) {
    throw new ProtocolDecodeError('unknown-api', `API key ${apiKey} is not one this codec knows`);
  }
  const range = describedRange(spec);
  if (!Number.isInteger(apiVersion) || apiVersion < range.min || apiVersion > range.max) {
    throw new ProtocolDecodeError(
      'unsupported-version',
      `${spec.name} v${apiVersion} is not described (versions ${spec.versions})`,
    );
  }
  const flexible = inRange(spec.flexible, apiVersion);
  const plan: VersionPlan = {
    spec,
    version: apiVersion,
    flexible,
    request: compileStruct(spec.request, apiVersion, flexible),
    response: compileStruct(spec.response, apiVersion, flexible),
  };
  let byVersion = planCache[apiKey];
  if (!byVersion) planCache[apiKey] = byVersion = [];
  byVersion[apiVersion] = plan;
  return plan;
}

/** JavaScript source for a fresh default value (literals only; buffers come in as dependencies). */
export function defaultSource(spec: FieldSpec, dep: (value: unknown) => string): string {
  const value = spec.default;
  if (value !== undefined) {
    if (value === null) return 'null';
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value === 'string') return JSON.stringify(value);
    return dep(value);
  }
  if (spec.type.startsWith('[]')) return '[]';
  switch (spec.type) {
    case 'int64':
      return '0n';
    case 'bool':
      return 'false';
    case 'string':
      return "''";
    case 'bytes':
      return dep(EMPTY);
    case 'records':
      return 'null';
    case 'uuid':
      return JSON.stringify(ZERO_UUID);
    case 'struct':
      return `{ ${(spec.fields ?? []).map((f) => `${JSON.stringify(f.name)}: ${defaultSource(f, dep)}`).join(', ')} }`;
    default:
      return '0';
  }
}
