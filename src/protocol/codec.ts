/**
 * The one generic Kafka codec. It compiles each API description (apis/*.ts) once per (API, version,
 * direction) into a flat plan and interprets that plan over a Buffer: no per-version hand-written code.
 *
 * Frames: a request or response is `int32 size` + header + body. The decode functions take the frame
 * WITHOUT the size prefix (the connection layer has already split the stream); the encode functions
 * return the whole frame WITH the size prefix, in one buffer sized exactly up front.
 */

import {
  ApiKey,
  apiName,
  apiVersionsList,
  SUPPORTED_VERSIONS,
  type SupportedVersionRange,
} from './api-keys.js';
import { API_SPECS, type ApiBodies, type KnownApiKey } from './apis/index.js';
import { ErrorCode } from './errors.js';
import { type ApiSpec, type FieldSpec, inRange, parseVersionRange } from './schema.js';

// ---------------------------------------------------------------------------------------------------------
// Errors

export type ProtocolDecodeErrorReason = 'truncated' | 'invalid' | 'unknown-api' | 'unsupported-version';

/**
 * A frame we cannot decode. The broker closes the connection (the stream can no longer be trusted), except
 * for ApiVersions with an unsupported version, which it answers with `encodeApiVersionsFallback`.
 * `apiKey`, `apiVersion` and `correlationId` are set when the header could be read.
 */
export class ProtocolDecodeError extends Error {
  override readonly name = 'ProtocolDecodeError';
  readonly reason: ProtocolDecodeErrorReason;
  apiKey?: number;
  apiVersion?: number;
  correlationId?: number;

  constructor(reason: ProtocolDecodeErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

function truncated(what: string, pos: number, need: number, end: number): ProtocolDecodeError {
  return new ProtocolDecodeError(
    'truncated',
    `frame ends early: ${what} at byte ${pos} needs ${need} bytes but only ${Math.max(0, end - pos)} remain`,
  );
}

function invalid(message: string): ProtocolDecodeError {
  return new ProtocolDecodeError('invalid', message);
}

// ---------------------------------------------------------------------------------------------------------
// Compiled plans

enum Kind {
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

interface FieldPlan {
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

interface StructPlan {
  readonly flexible: boolean;
  readonly fields: readonly FieldPlan[];
  /** Tagged fields of this version, sorted by tag. */
  readonly tagged: readonly FieldPlan[];
  readonly taggedByTag: ReadonlyMap<number, FieldPlan>;
  /** Fields that do not exist in this version: decoded objects get their default. */
  readonly absent: readonly FieldSpec[];
  /** Specialised decoder, generated on first use (see compileDecoder). */
  decode: StructDecoder | null;
  /** Specialised size and write functions, generated on first use (see compileEncoder). */
  size: StructSizer | null;
  write: StructWriter | null;
}

type StructSizer = (o: Record<string, unknown>) => number;
type StructWriter = (w: Writer, o: Record<string, unknown>) => void;

type StructDecoder = (r: Reader) => Record<string, unknown>;

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const EMPTY = Buffer.alloc(0);

function compileStruct(specs: readonly FieldSpec[], version: number, flexible: boolean): StructPlan {
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
    size: null,
    write: null,
  };
}

/** A fresh default value for a field (fresh so that callers may mutate arrays and structs they decoded). */
function defaultValue(spec: FieldSpec): unknown {
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

function describedRange(spec: ApiSpec): { min: number; max: number } {
  return parseVersionRange(spec.versions)!;
}

/** True when `apiVersion` of `apiKey` uses compact encodings and tagged fields. */
export function isFlexibleVersion(apiKey: number, apiVersion: number): boolean {
  const spec = API_SPECS[apiKey];
  return spec !== undefined && inRange(spec.flexible, apiVersion);
}

function planFor(apiKey: number, apiVersion: number): VersionPlan {
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

// ---------------------------------------------------------------------------------------------------------
// Reading

/** Node's Buffer has these slicing methods (behind toString); calling them directly skips argument checks. */
interface FastSlices {
  utf8Slice(start: number, end: number): string;
}

class Reader {
  buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, pos: number, end: number) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  need(n: number, what: string): void {
    if (this.end - this.pos < n) throw truncated(what, this.pos, n, this.end);
  }

  int8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.pos++);
  }

  int16(): number {
    const pos = this.pos;
    if (this.end - pos < 2) throw truncated('int16', pos, 2, this.end);
    const buf = this.buf;
    this.pos = pos + 2;
    return (((buf[pos] << 8) | buf[pos + 1]) << 16) >> 16;
  }

  uint16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    const pos = this.pos;
    if (this.end - pos < 4) throw truncated('int32', pos, 4, this.end);
    const buf = this.buf;
    this.pos = pos + 4;
    return (buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3];
  }

  uint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    const pos = this.pos;
    if (this.end - pos < 8) throw truncated('int64', pos, 8, this.end);
    const buf = this.buf;
    this.pos = pos + 8;
    const hi = (buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3];
    const lo = ((buf[pos + 4] << 24) | (buf[pos + 5] << 16) | (buf[pos + 6] << 8) | buf[pos + 7]) >>> 0;
    // Small values (offsets, timestamps, -1) avoid BigInt arithmetic on two halves.
    if ((hi === 0 && lo >= 0) || (hi === -1 && lo >= 0x80000000))
      return BigInt(hi === 0 ? lo : lo - 0x100000000);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  float64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  uvarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    let shift = 0;
    for (;;) {
      if (pos >= this.end) throw truncated('unsigned varint', this.pos, pos - this.pos + 1, this.end);
      const byte = buf[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) throw invalid(`unsigned varint at byte ${this.pos} is longer than 5 bytes`);
    }
    if (value > 0xffffffff) throw invalid(`unsigned varint at byte ${this.pos} exceeds 32 bits`);
    this.pos = pos;
    return value;
  }

  /** Length of a string/bytes/array: -1 for null; checked against what remains so garbage cannot allocate. */
  length(compact: boolean, wide: boolean, what: string, minElementSize: number): number {
    const at = this.pos;
    let n: number;
    if (compact) n = this.uvarint() - 1;
    else n = wide ? this.int32() : this.int16();
    if (n < -1) throw invalid(`${what} at byte ${at} has negative length ${n}`);
    if (n > 0 && n * minElementSize > this.end - this.pos) {
      throw truncated(`${what} of length ${n}`, this.pos, n * minElementSize, this.end);
    }
    return n;
  }

  string(compact: boolean, nullable: boolean, name: string): string | null {
    const n = this.length(compact, false, `string ${name}`, 1);
    if (n < 0) {
      if (!nullable) throw invalid(`field ${name} is null but is not nullable in this version`);
      return null;
    }
    const start = this.pos;
    this.pos += n;
    return (this.buf as unknown as FastSlices).utf8Slice(start, start + n);
  }

  bytes(compact: boolean, nullable: boolean, name: string): Buffer | null {
    const n = this.length(compact, true, `bytes ${name}`, 1);
    if (n < 0) {
      if (!nullable) throw invalid(`field ${name} is null but is not nullable in this version`);
      return null;
    }
    const start = this.pos;
    this.pos += n;
    // A view, not a copy: record sets and opaque blobs stay zero-copy.
    return this.buf.subarray(start, start + n);
  }

  uuid(): string {
    this.need(16, 'uuid');
    const start = this.pos;
    this.pos += 16;
    return this.buf.toString('base64url', start, start + 16);
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }
}

function readValue(r: Reader, kind: Kind, p: FieldPlan, flexible: boolean): unknown {
  switch (kind) {
    case Kind.Int8:
      return r.int8();
    case Kind.Int16:
      return r.int16();
    case Kind.Uint16:
      return r.uint16();
    case Kind.Int32:
      return r.int32();
    case Kind.Uint32:
      return r.uint32();
    case Kind.Int64:
      return r.int64();
    case Kind.Float64:
      return r.float64();
    case Kind.Bool:
      return r.int8() !== 0;
    case Kind.String:
      return r.string(flexible, p.nullable, p.name);
    case Kind.Bytes:
    case Kind.Records:
      return r.bytes(flexible, p.nullable, p.name);
    case Kind.Uuid:
      return r.uuid();
    case Kind.Struct: {
      // Nullable non-array structs carry an int8 presence marker (-1 = null).
      if (p.nullable && p.kind === Kind.Struct) {
        const present = r.int8();
        if (present < 0) return null;
      }
      return readStruct(r, p.struct!);
    }
    default:
      throw new Error(`unreachable kind ${kind}`);
  }
}

const MIN_ELEMENT_SIZE: Record<number, number> = {
  [Kind.Int8]: 1,
  [Kind.Int16]: 2,
  [Kind.Uint16]: 2,
  [Kind.Int32]: 4,
  [Kind.Uint32]: 4,
  [Kind.Int64]: 8,
  [Kind.Float64]: 8,
  [Kind.Bool]: 1,
  [Kind.Uuid]: 16,
};

function readField(r: Reader, p: FieldPlan, flexible: boolean): unknown {
  if (p.kind !== Kind.Array) return readValue(r, p.kind, p, flexible);
  // Every element takes at least one byte (strings two, or one when compact), which bounds the allocation.
  const n = r.length(flexible, true, `array ${p.name}`, MIN_ELEMENT_SIZE[p.elem] ?? 1);
  if (n < 0) {
    if (!p.nullable) throw invalid(`field ${p.name} is null but is not nullable in this version`);
    return null;
  }
  const out = new Array(n);
  const elem = p.elem;
  if (elem === Kind.Struct) {
    const sp = p.struct!;
    for (let i = 0; i < n; i++) out[i] = readStruct(r, sp);
  } else {
    for (let i = 0; i < n; i++) out[i] = readValue(r, elem, p, flexible);
  }
  return out;
}

function readStruct(r: Reader, plan: StructPlan): Record<string, unknown> {
  let decode = plan.decode;
  if (decode === null) decode = plan.decode = compileDecoder(plan);
  return decode(r);
}

/**
 * Generates a decoder specialised for one struct of one version: straight-line reads into a single object
 * literal (one hidden class per struct, no per-field dispatch). This is the interpreter's plan turned into
 * code once; it reads exactly what readField would. Nested structs get their own decoders.
 */
function compileDecoder(plan: StructPlan): StructDecoder {
  const deps: unknown[] = [];
  const dep = (value: unknown): string => {
    deps.push(value);
    return `d${deps.length - 1}`;
  };
  const lines: string[] = [];
  let temp = 0;
  const flexible = plan.flexible;
  const fieldExpr = (p: FieldPlan, kind: Kind, elementOfArray: boolean): string => {
    const name = JSON.stringify(p.name);
    switch (kind) {
      case Kind.Int8:
        return 'r.int8()';
      case Kind.Int16:
        return 'r.int16()';
      case Kind.Uint16:
        return 'r.uint16()';
      case Kind.Int32:
        return 'r.int32()';
      case Kind.Uint32:
        return 'r.uint32()';
      case Kind.Int64:
        return 'r.int64()';
      case Kind.Float64:
        return 'r.float64()';
      case Kind.Bool:
        return '(r.int8() !== 0)';
      case Kind.String:
        return `r.string(${flexible}, ${p.nullable && !elementOfArray}, ${name})`;
      case Kind.Bytes:
      case Kind.Records:
        return `r.bytes(${flexible}, ${p.nullable && !elementOfArray}, ${name})`;
      case Kind.Uuid:
        return 'r.uuid()';
      case Kind.Struct: {
        const nested = dep((rr: Reader) => readStruct(rr, p.struct!));
        if (p.nullable && p.kind === Kind.Struct) return `(r.int8() < 0 ? null : ${nested}(r))`;
        return `${nested}(r)`;
      }
      default:
        throw new Error(`unreachable kind ${kind}`);
    }
  };
  const values: string[] = [];
  for (const p of plan.fields) {
    const key = JSON.stringify(p.name);
    if (p.kind !== Kind.Array) {
      const v = `v${temp++}`;
      lines.push(`const ${v} = ${fieldExpr(p, p.kind, false)};`);
      values.push(`${key}: ${v}`);
      continue;
    }
    const n = `n${temp}`;
    const a = `v${temp++}`;
    const minSize = MIN_ELEMENT_SIZE[p.elem] ?? 1;
    lines.push(`const ${n} = r.length(${flexible}, true, ${JSON.stringify(`array ${p.name}`)}, ${minSize});`);
    lines.push(`let ${a} = null;`);
    lines.push(`if (${n} >= 0) {`);
    lines.push(`  ${a} = new Array(${n});`);
    lines.push(`  for (let i = 0; i < ${n}; i++) ${a}[i] = ${fieldExpr(p, p.elem, true)};`);
    lines.push(p.nullable ? '}' : `} else throw invalidNull(${JSON.stringify(p.name)});`);
    values.push(`${key}: ${a}`);
  }
  for (const spec of plan.absent) values.push(`${JSON.stringify(spec.name)}: ${defaultSource(spec, dep)}`);
  for (const p of plan.tagged) values.push(`${JSON.stringify(p.name)}: ${defaultSource(p.spec, dep)}`);
  const depNames = deps.map((_, i) => `d${i}`);
  const tail = flexible ? `readTaggedFields(r, plan, o);\nreturn o;` : 'return o;';
  const source = `${lines.join('\n')}\nconst o = { ${values.join(', ')} };\n${tail}`;
  const factory = new Function(
    'plan',
    'readTaggedFields',
    'invalidNull',
    ...depNames,
    `return function decodeStruct(r) {\n${source}\n};`,
  );
  return factory(plan, readTaggedFields, invalidNull, ...deps) as StructDecoder;
}

function invalidNull(name: string): ProtocolDecodeError {
  return invalid(`field ${name} is null but is not nullable in this version`);
}

/** JavaScript source for a fresh default value (literals only; buffers come in as dependencies). */
function defaultSource(spec: FieldSpec, dep: (value: unknown) => string): string {
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

function readTaggedFields(r: Reader, plan: StructPlan, o: Record<string, unknown>): void {
  const count = r.uvarint();
  if (count > r.end - r.pos) throw truncated(`${count} tagged fields`, r.pos, count, r.end);
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const p = plan.taggedByTag.get(tag);
    if (!p) {
      // Unknown tags are how newer peers extend a version: skip them.
      r.skip(size, `tagged field ${tag}`);
      continue;
    }
    const start = r.pos;
    r.need(size, `tagged field ${p.name}`);
    const savedEnd = r.end;
    r.end = start + size;
    o[p.name] = readField(r, p, true);
    if (r.pos !== r.end)
      throw invalid(`tagged field ${p.name} (tag ${tag}) declares ${size} bytes but uses ${r.pos - start}`);
    r.end = savedEnd;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Sizing and writing (two passes: exact size first, then one allocation)

/**
 * Zero-copy output (encodeResponseChunks): record sets at least this large are not copied into the frame
 * buffer but returned as their own chunk. Module state rather than a parameter so the hot recursive
 * functions keep their shape; set and reset around one encode call (encoding is synchronous).
 */
let detachThreshold = Number.POSITIVE_INFINITY;
let detachedBytes = 0;

function uvarintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

function sizeValue(kind: Kind, p: FieldPlan, v: unknown, flexible: boolean): number {
  switch (kind) {
    case Kind.Int8:
    case Kind.Bool:
      return 1;
    case Kind.Int16:
    case Kind.Uint16:
      return 2;
    case Kind.Int32:
    case Kind.Uint32:
      return 4;
    case Kind.Int64:
    case Kind.Float64:
      return 8;
    case Kind.Uuid:
      return 16;
    case Kind.String: {
      if (v === null) return flexible ? 1 : 2;
      const n = Buffer.byteLength(v as string, 'utf8');
      return flexible ? uvarintSize(n + 1) + n : 2 + n;
    }
    case Kind.Bytes: {
      if (v === null) return flexible ? 1 : 4;
      const n = (v as Uint8Array).length;
      return flexible ? uvarintSize(n + 1) + n : 4 + n;
    }
    case Kind.Records: {
      if (v === null) return flexible ? 1 : 4;
      const n = (v as Uint8Array).length;
      if (n >= detachThreshold) detachedBytes += n;
      return flexible ? uvarintSize(n + 1) + n : 4 + n;
    }
    case Kind.Struct:
      if (p.nullable && p.kind === Kind.Struct) return v === null ? 1 : 1 + sizeStruct(p.struct!, v as never);
      return sizeStruct(p.struct!, v as Record<string, unknown>);
    default:
      throw new Error(`unreachable kind ${kind}`);
  }
}

function sizeField(p: FieldPlan, v: unknown, flexible: boolean): number {
  if (p.kind !== Kind.Array) return sizeValue(p.kind, p, v, flexible);
  if (v === null) return flexible ? 1 : 4;
  const arr = v as unknown[];
  const n = arr.length;
  let size = flexible ? uvarintSize(n + 1) : 4;
  const elem = p.elem;
  if (elem === Kind.Struct) {
    const sp = p.struct!;
    for (let i = 0; i < n; i++) size += sizeStruct(sp, arr[i] as Record<string, unknown>);
  } else {
    for (let i = 0; i < n; i++) size += sizeValue(elem, p, arr[i], flexible);
  }
  return size;
}

function sizeStruct(plan: StructPlan, o: Record<string, unknown>): number {
  let size = plan.size;
  if (size === null) size = plan.size = compileSizer(plan);
  return size(o);
}

/** Size of a struct's tag buffer: the count, then tag, length and value of each non-default tagged field. */
function sizeTagged(plan: StructPlan, o: Record<string, unknown>): number {
  const tagged = plan.tagged;
  let size = 0;
  let count = 0;
  for (let i = 0; i < tagged.length; i++) {
    const p = tagged[i];
    const v = o[p.name];
    if (!taggedPresent(p, v)) continue;
    const inner = sizeField(p, v, true);
    size += uvarintSize(p.tag) + uvarintSize(inner) + inner;
    count++;
  }
  return size + uvarintSize(count);
}

/** Tagged fields are written only when they differ from their default. */
function taggedPresent(p: FieldPlan, v: unknown): boolean {
  if (v === undefined) return false;
  if (p.kind === Kind.Array)
    return v === null ? p.spec.default !== null && p.nullable : (v as unknown[]).length > 0;
  if (p.kind === Kind.Struct) return v !== null;
  if (p.kind === Kind.Bytes || p.kind === Kind.Records)
    return v === null ? false : (v as Uint8Array).length > 0;
  const def = defaultValue(p.spec);
  return v !== def;
}

class Writer {
  buf: Buffer;
  pos: number;
  /** Set in zero-copy mode: finished pieces of the frame, in order. */
  chunks: Buffer[] | null = null;
  chunkStart = 0;

  constructor(buf: Buffer, pos: number) {
    this.buf = buf;
    this.pos = pos;
  }

  records(b: Uint8Array | null, compact: boolean): void {
    if (b === null || this.chunks === null || b.length < detachThreshold) {
      this.bytes(b, compact);
      return;
    }
    if (compact) this.uvarint(b.length + 1);
    else {
      this.buf.writeInt32BE(b.length, this.pos);
      this.pos += 4;
    }
    this.chunks.push(this.buf.subarray(this.chunkStart, this.pos), b as Buffer);
    this.chunkStart = this.pos;
  }

  int8(v: number): void {
    this.buf[this.pos++] = v;
  }

  int16(v: number): void {
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = v >>> 8;
    buf[pos + 1] = v;
    this.pos = pos + 2;
  }

  int32(v: number): void {
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = v >>> 24;
    buf[pos + 1] = v >>> 16;
    buf[pos + 2] = v >>> 8;
    buf[pos + 3] = v;
    this.pos = pos + 4;
  }

  int64(v: unknown, name: string): void {
    this.buf.writeBigInt64BE(toBigInt(v, name), this.pos);
    this.pos += 8;
  }

  float64(v: number): void {
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  uuid(v: string, name: string): void {
    const n = this.buf.write(v, this.pos, 16, 'base64url');
    if (n !== 16 || v.length !== 22)
      throw new TypeError(`field ${name}: a uuid is 22 base64url characters, got "${v}"`);
    this.pos += 16;
  }

  nullLength(compact: boolean): void {
    if (compact) this.buf[this.pos++] = 0;
    else this.int32(-1);
  }

  arrayLength(n: number, compact: boolean): void {
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
  }

  uvarint(value: number): void {
    const buf = this.buf;
    let v = value >>> 0;
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  string(s: string | null, compact: boolean): void {
    const buf = this.buf;
    if (s === null) {
      if (compact) buf[this.pos++] = 0;
      else {
        buf.writeInt16BE(-1, this.pos);
        this.pos += 2;
      }
      return;
    }
    if (!compact) {
      const n = buf.write(s, this.pos + 2, 'utf8');
      buf.writeInt16BE(n, this.pos);
      this.pos += 2 + n;
      return;
    }
    // The prefix size is known without measuring when the longest possible encoding has the same prefix size.
    const guess = uvarintSize(s.length + 1);
    if (guess === uvarintSize(s.length * 3 + 1)) {
      const n = buf.write(s, this.pos + guess, 'utf8');
      this.uvarint(n + 1);
      this.pos += n;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.uvarint(n + 1);
    this.pos += buf.write(s, this.pos, 'utf8');
  }

  bytes(b: Uint8Array | null, compact: boolean): void {
    const buf = this.buf;
    if (b === null) {
      if (compact) buf[this.pos++] = 0;
      else {
        buf.writeInt32BE(-1, this.pos);
        this.pos += 4;
      }
      return;
    }
    if (compact) this.uvarint(b.length + 1);
    else {
      buf.writeInt32BE(b.length, this.pos);
      this.pos += 4;
    }
    buf.set(b, this.pos);
    this.pos += b.length;
  }
}

function toBigInt(v: unknown, name: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new TypeError(`field ${name}: expected an int64 (bigint), got ${typeof v}`);
}

function writeValue(w: Writer, kind: Kind, p: FieldPlan, v: unknown, flexible: boolean): void {
  const buf = w.buf;
  switch (kind) {
    case Kind.Int8:
      buf.writeInt8(v as number, w.pos);
      w.pos += 1;
      return;
    case Kind.Bool:
      buf[w.pos++] = v ? 1 : 0;
      return;
    case Kind.Int16:
      buf.writeInt16BE(v as number, w.pos);
      w.pos += 2;
      return;
    case Kind.Uint16:
      buf.writeUInt16BE(v as number, w.pos);
      w.pos += 2;
      return;
    case Kind.Int32:
      buf.writeInt32BE(v as number, w.pos);
      w.pos += 4;
      return;
    case Kind.Uint32:
      buf.writeUInt32BE(v as number, w.pos);
      w.pos += 4;
      return;
    case Kind.Int64:
      buf.writeBigInt64BE(toBigInt(v, p.name), w.pos);
      w.pos += 8;
      return;
    case Kind.Float64:
      buf.writeDoubleBE(v as number, w.pos);
      w.pos += 8;
      return;
    case Kind.Uuid: {
      const n = buf.write(v as string, w.pos, 16, 'base64url');
      if (n !== 16) throw new TypeError(`field ${p.name}: a uuid is 22 base64url characters, got "${v}"`);
      w.pos += 16;
      return;
    }
    case Kind.String:
      if (v === null && !p.nullable) throw new TypeError(`field ${p.name} may not be null in this version`);
      w.string(v as string | null, flexible);
      return;
    case Kind.Bytes:
      if (v === null && !p.nullable) throw new TypeError(`field ${p.name} may not be null in this version`);
      w.bytes(v as Uint8Array | null, flexible);
      return;
    case Kind.Records:
      if (v === null && !p.nullable) throw new TypeError(`field ${p.name} may not be null in this version`);
      w.records(v as Uint8Array | null, flexible);
      return;
    case Kind.Struct:
      if (p.nullable && p.kind === Kind.Struct) {
        if (v === null) {
          buf.writeInt8(-1, w.pos++);
          return;
        }
        buf.writeInt8(1, w.pos++);
      }
      writeStruct(w, p.struct!, v as Record<string, unknown>);
      return;
    default:
      throw new Error(`unreachable kind ${kind}`);
  }
}

function writeField(w: Writer, p: FieldPlan, v: unknown, flexible: boolean): void {
  if (p.kind !== Kind.Array) {
    writeValue(w, p.kind, p, v, flexible);
    return;
  }
  if (v === null) {
    if (!p.nullable) throw new TypeError(`field ${p.name} may not be null in this version`);
    if (flexible) w.buf[w.pos++] = 0;
    else {
      w.buf.writeInt32BE(-1, w.pos);
      w.pos += 4;
    }
    return;
  }
  const arr = v as unknown[];
  const n = arr.length;
  if (flexible) w.uvarint(n + 1);
  else {
    w.buf.writeInt32BE(n, w.pos);
    w.pos += 4;
  }
  const elem = p.elem;
  if (elem === Kind.Struct) {
    const sp = p.struct!;
    for (let i = 0; i < n; i++) writeStruct(w, sp, arr[i] as Record<string, unknown>);
  } else {
    for (let i = 0; i < n; i++) writeValue(w, elem, p, arr[i], flexible);
  }
}

function writeStruct(w: Writer, plan: StructPlan, o: Record<string, unknown>): void {
  let write = plan.write;
  if (write === null) write = plan.write = compileWriter(plan);
  write(w, o);
}

function writeTagged(w: Writer, plan: StructPlan, o: Record<string, unknown>): void {
  const tagged = plan.tagged;
  let count = 0;
  for (let i = 0; i < tagged.length; i++) if (taggedPresent(tagged[i], o[tagged[i].name])) count++;
  w.uvarint(count);
  for (let i = 0; i < tagged.length; i++) {
    const p = tagged[i];
    const v = o[p.name];
    if (!taggedPresent(p, v)) continue;
    w.uvarint(p.tag);
    w.uvarint(sizeField(p, v, true));
    writeField(w, p, v, true);
  }
}

const FIXED_SIZE: Partial<Record<Kind, number>> = {
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

function stringSize(v: string | null, compact: boolean): number {
  if (v === null) return compact ? 1 : 2;
  const n = Buffer.byteLength(v, 'utf8');
  return compact ? uvarintSize(n + 1) + n : 2 + n;
}

function bytesSize(v: Uint8Array | null, compact: boolean): number {
  if (v === null) return compact ? 1 : 4;
  const n = v.length;
  return compact ? uvarintSize(n + 1) + n : 4 + n;
}

function recordsSize(v: Uint8Array | null, compact: boolean): number {
  if (v === null) return compact ? 1 : 4;
  const n = v.length;
  if (n >= detachThreshold) detachedBytes += n;
  return compact ? uvarintSize(n + 1) + n : 4 + n;
}

function nullNotAllowed(name: string): TypeError {
  return new TypeError(`field ${name} may not be null in this version`);
}

/** Shared scaffolding of the generated encoders: dependencies are passed in as named parameters. */
function generate<T>(params: string[], deps: unknown[], body: string): T {
  const names = deps.map((_, i) => `d${i}`);
  const factory = new Function(
    ...params.map((p) => `${p}_`),
    ...names,
    `${params.map((p) => `const ${p} = ${p}_;`).join('\n')}\n${body}`,
  );
  return factory(...params.map((p) => HELPERS[p as keyof typeof HELPERS]), ...deps) as T;
}

/**
 * Generates the size function of one struct of one version: the fixed-size fields are summed once at
 * generation time; only variable-size fields are read from the object.
 */
function compileSizer(plan: StructPlan): StructSizer {
  const deps: unknown[] = [];
  const dep = (value: unknown): string => {
    deps.push(value);
    return `d${deps.length - 1}`;
  };
  const F = plan.flexible;
  let fixed = 0;
  const lines: string[] = ['let s = 0;', 'let v;'];
  const elemSize = (p: FieldPlan, kind: Kind, x: string): string => {
    switch (kind) {
      case Kind.String:
        return `stringSize(${x}, ${F})`;
      case Kind.Bytes:
        return `bytesSize(${x}, ${F})`;
      case Kind.Records:
        return `recordsSize(${x}, ${F})`;
      case Kind.Struct: {
        const nested = dep((o: Record<string, unknown>) => sizeStruct(p.struct!, o));
        return `${nested}(${x})`;
      }
      default:
        return String(FIXED_SIZE[kind]);
    }
  };
  for (const p of plan.fields) {
    const get = `v = o[${JSON.stringify(p.name)}]; if (v === undefined) v = ${defaultSource(p.spec, dep)};`;
    if (p.kind !== Kind.Array) {
      const size = FIXED_SIZE[p.kind];
      if (size !== undefined) {
        fixed += size;
        continue;
      }
      lines.push(get);
      if (p.kind === Kind.Struct && p.nullable)
        lines.push(`s += v === null ? 1 : 1 + ${elemSize(p, Kind.Struct, 'v')};`);
      else lines.push(`s += ${elemSize(p, p.kind, 'v')};`);
      continue;
    }
    lines.push(get);
    lines.push(`if (v === null) s += ${F ? 1 : 4}; else {`);
    lines.push(`  const n = v.length;`);
    lines.push(`  s += ${F ? 'uvarintSize(n + 1)' : '4'};`);
    const size = FIXED_SIZE[p.elem];
    if (size !== undefined) lines.push(`  s += n * ${size};`);
    else lines.push(`  for (let i = 0; i < n; i++) s += ${elemSize(p, p.elem, 'v[i]')};`);
    lines.push('}');
  }
  if (F) lines.push('s += sizeTagged(plan, o);');
  lines.push(`return s + ${fixed};`);
  deps.push(plan);
  return generate<StructSizer>(
    ['stringSize', 'bytesSize', 'recordsSize', 'uvarintSize', 'sizeTagged'],
    deps,
    `const plan = d${deps.length - 1};\nreturn function sizeStruct(o) {\n${lines.join('\n')}\n};`,
  );
}

/** Generates the write function of one struct of one version (the mirror of compileSizer). */
function compileWriter(plan: StructPlan): StructWriter {
  const deps: unknown[] = [];
  const dep = (value: unknown): string => {
    deps.push(value);
    return `d${deps.length - 1}`;
  };
  const F = plan.flexible;
  const lines: string[] = ['let v;'];
  const writeOne = (p: FieldPlan, kind: Kind, x: string, nullable: boolean): string => {
    const name = JSON.stringify(p.name);
    const nullCheck = nullable ? '' : `if (${x} === null) throw nullNotAllowed(${name}); `;
    switch (kind) {
      case Kind.Int8:
        return `w.int8(${x});`;
      case Kind.Bool:
        return `w.int8(${x} ? 1 : 0);`;
      case Kind.Int16:
      case Kind.Uint16:
        return `w.int16(${x});`;
      case Kind.Int32:
      case Kind.Uint32:
        return `w.int32(${x});`;
      case Kind.Int64:
        return `w.int64(${x}, ${name});`;
      case Kind.Float64:
        return `w.float64(${x});`;
      case Kind.Uuid:
        return `w.uuid(${x}, ${name});`;
      case Kind.String:
        return `${nullCheck}w.string(${x}, ${F});`;
      case Kind.Bytes:
        return `${nullCheck}w.bytes(${x}, ${F});`;
      case Kind.Records:
        return `${nullCheck}w.records(${x}, ${F});`;
      case Kind.Struct: {
        const nested = dep((ww: Writer, o: Record<string, unknown>) => writeStruct(ww, p.struct!, o));
        if (p.nullable && p.kind === Kind.Struct)
          return `if (${x} === null) w.int8(-1); else { w.int8(1); ${nested}(w, ${x}); }`;
        return `${nested}(w, ${x});`;
      }
      default:
        throw new Error(`unreachable kind ${kind}`);
    }
  };
  for (const p of plan.fields) {
    lines.push(`v = o[${JSON.stringify(p.name)}]; if (v === undefined) v = ${defaultSource(p.spec, dep)};`);
    if (p.kind !== Kind.Array) {
      lines.push(writeOne(p, p.kind, 'v', p.nullable));
      continue;
    }
    lines.push(
      `if (v === null) { ${p.nullable ? '' : `throw nullNotAllowed(${JSON.stringify(p.name)}); `}w.nullLength(${F}); } else {`,
    );
    lines.push('  const n = v.length;');
    lines.push(`  w.arrayLength(n, ${F});`);
    // Array elements are never null in Kafka's schemas, except through a bug: write what we are given.
    lines.push(`  for (let i = 0; i < n; i++) { ${writeOne(p, p.elem, 'v[i]', true)} }`);
    lines.push('}');
  }
  if (F) lines.push('writeTagged(w, plan, o);');
  deps.push(plan);
  return generate<StructWriter>(
    ['nullNotAllowed', 'writeTagged'],
    deps,
    `const plan = d${deps.length - 1};\nreturn function writeStruct(w, o) {\n${lines.join('\n')}\n};`,
  );
}

/** The module functions generated encoders call, by the names they use. */
const HELPERS = {
  stringSize,
  bytesSize,
  recordsSize,
  uvarintSize,
  sizeTagged,
  nullNotAllowed,
  writeTagged,
};

// ---------------------------------------------------------------------------------------------------------
// Headers

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** 1 (client id) or 2 (client id + tagged fields, for flexible versions). */
  headerVersion: number;
  /** Where the body starts in the frame. */
  bodyOffset: number;
}

function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  // ControlledShutdown v0 is the only request with header v0; it is never sent to us.
  return isFlexibleVersion(apiKey, apiVersion) ? 2 : 1;
}

function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  // ApiVersions always answers with header v0, so that a client can read it whatever version it asked for.
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexibleVersion(apiKey, apiVersion) ? 1 : 0;
}

/** Reads the request header of a frame (the bytes after the 4-byte size prefix). */
export function decodeRequestHeader(frame: Buffer): RequestHeader {
  if (frame.length < 8) {
    throw new ProtocolDecodeError(
      'truncated',
      `request frame of ${frame.length} bytes is shorter than the 8-byte minimum header`,
    );
  }
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const r = new Reader(frame, 8, frame.length);
  try {
    // client_id is a classic int16 string in every header version, even flexible ones.
    const clientId = r.string(false, true, 'clientId');
    if (headerVersion >= 2) readTaggedFields(r, EMPTY_STRUCT, {});
    return { apiKey, apiVersion, correlationId, clientId, headerVersion, bodyOffset: r.pos };
  } catch (err) {
    if (err instanceof ProtocolDecodeError) {
      err.apiKey = apiKey;
      err.apiVersion = apiVersion;
      err.correlationId = correlationId;
    }
    throw err;
  }
}

const EMPTY_STRUCT: StructPlan = compileStruct([], 0, true);

export interface DecodeRequestOptions {
  /** Versions accepted (default: the broker's SUPPORTED_VERSIONS). */
  versions?: Readonly<Record<number, SupportedVersionRange>>;
}

export type RequestBody<K extends number> = K extends KnownApiKey ? ApiBodies[K]['request'] : unknown;
export type ResponseBody<K extends number> = K extends KnownApiKey ? ApiBodies[K]['response'] : unknown;

export interface DecodedRequest {
  header: RequestHeader;
  body: Record<string, unknown>;
}

/**
 * Decodes a request frame (without its size prefix). Throws ProtocolDecodeError for truncated or garbage
 * input, unknown API keys and versions outside `options.versions` (default SUPPORTED_VERSIONS).
 * Narrow `body` with `requestBody(decoded, ApiKey.X)` or by switching on `header.apiKey`.
 */
export function decodeRequest(frame: Buffer, options: DecodeRequestOptions = {}): DecodedRequest {
  const header = decodeRequestHeader(frame);
  const { apiKey, apiVersion, correlationId } = header;
  try {
    const versions = options.versions ?? SUPPORTED_VERSIONS;
    const range = versions[apiKey];
    if (!range) {
      throw new ProtocolDecodeError('unknown-api', `${apiName(apiKey)} (key ${apiKey}) is not supported`);
    }
    if (apiVersion < range.min || apiVersion > range.max) {
      throw new ProtocolDecodeError(
        'unsupported-version',
        `${apiName(apiKey)} v${apiVersion} is not supported (supported: v${range.min}-v${range.max})`,
      );
    }
    const plan = planFor(apiKey, apiVersion);
    const r = new Reader(frame, header.bodyOffset, frame.length);
    const body = readStruct(r, plan.request);
    return { header, body };
  } catch (err) {
    throw annotate(err, apiKey, apiVersion, correlationId);
  }
}

/** Narrows a decoded request to its API's body type; throws if the key differs. */
export function requestBody<K extends KnownApiKey>(
  decoded: DecodedRequest,
  apiKey: K,
): ApiBodies[K]['request'] {
  if (decoded.header.apiKey !== apiKey) {
    throw new TypeError(`expected a ${apiName(apiKey)} request, got ${apiName(decoded.header.apiKey)}`);
  }
  return decoded.body as ApiBodies[K]['request'];
}

function annotate(err: unknown, apiKey: number, apiVersion: number, correlationId?: number): unknown {
  if (err instanceof ProtocolDecodeError) {
    err.apiKey = apiKey;
    err.apiVersion = apiVersion;
    if (correlationId !== undefined) err.correlationId = correlationId;
    if (!err.message.startsWith(apiName(apiKey)))
      err.message = `${apiName(apiKey)} v${apiVersion}: ${err.message}`;
    return err;
  }
  // Buffer's own range errors mean the same thing as ours: the frame is not what it claims to be.
  if (err instanceof RangeError) {
    const e = new ProtocolDecodeError('invalid', `${apiName(apiKey)} v${apiVersion}: ${err.message}`);
    e.apiKey = apiKey;
    e.apiVersion = apiVersion;
    e.correlationId = correlationId;
    return e;
  }
  return err;
}

/** Encodes a response frame, size prefix included. */
export function encodeResponse<K extends number>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseBody<K>,
): Buffer {
  const plan = planFor(apiKey, apiVersion);
  const o = body as Record<string, unknown>;
  const headerSize = responseHeaderVersion(apiKey, apiVersion) === 1 ? 5 : 4;
  const size = headerSize + sizeStruct(plan.response, o);
  const buf = Buffer.allocUnsafe(4 + size);
  buf.writeInt32BE(size, 0);
  buf.writeInt32BE(correlationId, 4);
  if (headerSize === 5) buf[8] = 0; // empty tag buffer
  const w = new Writer(buf, 4 + headerSize);
  writeStruct(w, plan.response, o);
  if (w.pos !== buf.length)
    throw new Error(`codec bug: ${plan.spec.name} v${apiVersion} size ${buf.length} wrote ${w.pos}`);
  return buf;
}

/**
 * Like encodeResponse, but record sets of at least `minDetachedBytes` are not copied: they come back as
 * their own chunks between the frame's other bytes, ready for `socket.cork()` + writes or `writev`.
 * The chunks concatenated are byte-identical to encodeResponse's buffer.
 */
export function encodeResponseChunks<K extends number>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseBody<K>,
  minDetachedBytes = 16 * 1024,
): Buffer[] {
  const plan = planFor(apiKey, apiVersion);
  const o = body as Record<string, unknown>;
  const headerSize = responseHeaderVersion(apiKey, apiVersion) === 1 ? 5 : 4;
  detachThreshold = Math.max(1, minDetachedBytes);
  detachedBytes = 0;
  try {
    const size = headerSize + sizeStruct(plan.response, o);
    const inline = 4 + size - detachedBytes;
    const buf = Buffer.allocUnsafe(inline);
    buf.writeInt32BE(size, 0);
    buf.writeInt32BE(correlationId, 4);
    if (headerSize === 5) buf[8] = 0;
    const w = new Writer(buf, 4 + headerSize);
    w.chunks = [];
    writeStruct(w, plan.response, o);
    if (w.pos !== inline)
      throw new Error(`codec bug: ${plan.spec.name} v${apiVersion} inline ${inline} wrote ${w.pos}`);
    if (w.chunkStart < w.pos) w.chunks.push(buf.subarray(w.chunkStart, w.pos));
    return w.chunks;
  } finally {
    detachThreshold = Number.POSITIVE_INFINITY;
    detachedBytes = 0;
  }
}

/** Encodes a request frame, size prefix included (client side). */
export function encodeRequest<K extends number>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: RequestBody<K>,
): Buffer {
  const plan = planFor(apiKey, apiVersion);
  const o = body as Record<string, unknown>;
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const clientIdBytes = clientId === null ? 0 : Buffer.byteLength(clientId, 'utf8');
  const headerSize = 8 + 2 + clientIdBytes + (headerVersion === 2 ? 1 : 0);
  const size = headerSize + sizeStruct(plan.request, o);
  const buf = Buffer.allocUnsafe(4 + size);
  buf.writeInt32BE(size, 0);
  buf.writeInt16BE(apiKey, 4);
  buf.writeInt16BE(apiVersion, 6);
  buf.writeInt32BE(correlationId, 8);
  const w = new Writer(buf, 12);
  w.string(clientId, false);
  if (headerVersion === 2) buf[w.pos++] = 0;
  writeStruct(w, plan.request, o);
  if (w.pos !== buf.length)
    throw new Error(`codec bug: ${plan.spec.name} v${apiVersion} size ${buf.length} wrote ${w.pos}`);
  return buf;
}

/** Decodes a response frame (without its size prefix) for the request we sent with that key and version. */
export function decodeResponse<K extends number>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): { correlationId: number; body: ResponseBody<K> } {
  try {
    const plan = planFor(apiKey, apiVersion);
    const r = new Reader(frame, 0, frame.length);
    const correlationId = r.int32();
    if (responseHeaderVersion(apiKey, apiVersion) === 1) readTaggedFields(r, EMPTY_STRUCT, {});
    const body = readStruct(r, plan.response) as ResponseBody<K>;
    return { correlationId, body };
  } catch (err) {
    throw annotate(err, apiKey, apiVersion);
  }
}

/** Decodes a request body alone (no header), e.g. for tests or tools. */
export function decodeRequestBody<K extends number>(
  apiKey: K,
  apiVersion: number,
  body: Buffer,
): RequestBody<K> {
  try {
    const plan = planFor(apiKey, apiVersion);
    return readStruct(new Reader(body, 0, body.length), plan.request) as RequestBody<K>;
  } catch (err) {
    throw annotate(err, apiKey, apiVersion);
  }
}

/**
 * The answer Kafka gives to an ApiVersions request whose version it does not support: response header v0
 * and a v0-layout body with UNSUPPORTED_VERSION (35) and the supported API list, so that the client can
 * retry with a version it finds there.
 */
export function encodeApiVersionsFallback(
  correlationId: number,
  versions: Readonly<Record<number, SupportedVersionRange>> = SUPPORTED_VERSIONS,
): Buffer {
  return encodeResponse(ApiKey.ApiVersions, 0, correlationId, {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: apiVersionsList(versions),
  });
}

/** The version range the codec can encode and decode for an API (wider than what the broker advertises). */
export function describedVersions(apiKey: number): SupportedVersionRange | null {
  const spec = API_SPECS[apiKey];
  if (!spec) return null;
  const r = describedRange(spec);
  return { min: r.min, max: r.max };
}
