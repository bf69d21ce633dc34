/**
 * Decoding: a bounds-checked Reader over a Buffer, and per-struct decoders generated from the plans.
 */
import { invalid, type ProtocolDecodeError, truncated } from './decode-error.js';
import {
  defaultSource,
  FIXED_SIZE,
  type FieldPlan,
  Kind,
  type StructDecoder,
  type StructPlan,
} from './plan.js';

/** Node's Buffer has these slicing methods (behind toString); calling them directly skips argument checks. */
interface FastSlices {
  utf8Slice(start: number, end: number): string;
}

export class Reader {
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

function readField(r: Reader, p: FieldPlan, flexible: boolean): unknown {
  if (p.kind !== Kind.Array) return readValue(r, p.kind, p, flexible);
  // Every element takes at least one byte (strings two, or one when compact), which bounds the allocation.
  const n = r.length(flexible, true, `array ${p.name}`, FIXED_SIZE[p.elem] ?? 1);
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

/**
 * Names of positional fields, at any depth, that a caller never reads: the decoder steps over their
 * bytes (still checking lengths) and gives them their default instead (a shared, frozen `[]` for
 * arrays), so a big answer read for a few fields allocates only those. Pass one set, kept in a
 * module constant, per call site: a decoder is generated and cached per set.
 */
export type SkipFields = ReadonlySet<string>;

export function readStruct(
  r: Reader,
  plan: StructPlan,
  skip: SkipFields | null = null,
): Record<string, unknown> {
  if (skip === null) {
    let decode = plan.decode;
    if (decode === null) decode = plan.decode = compileDecoder(plan, null);
    return decode(r);
  }
  const cache = (plan.skipping ??= new Map());
  let decode = cache.get(skip);
  if (decode === undefined) cache.set(skip, (decode = compileDecoder(plan, skip)));
  return decode(r);
}

/** Shared default of a skipped array field: frozen, so a caller that did read it fails loudly. */
const SKIPPED_ARRAY: readonly unknown[] = Object.freeze([]);

function fixedSize(kind: Kind): number | undefined {
  return FIXED_SIZE[kind];
}

function skipValue(r: Reader, kind: Kind, p: FieldPlan, flexible: boolean): void {
  const size = fixedSize(kind);
  if (size !== undefined) {
    r.skip(size, p.name);
    return;
  }
  switch (kind) {
    case Kind.String: {
      const n = r.length(flexible, false, p.name, 1);
      if (n > 0) r.skip(n, p.name);
      return;
    }
    case Kind.Bytes:
    case Kind.Records: {
      const n = r.length(flexible, true, p.name, 1);
      if (n > 0) r.skip(n, p.name);
      return;
    }
    case Kind.Struct:
      if (p.nullable && p.kind === Kind.Struct && r.int8() < 0) return;
      skipStruct(r, p.struct!);
      return;
    default:
      throw new Error(`unreachable kind ${kind}`);
  }
}

/** Steps over one field's bytes, as readField would read them. */
function skipField(r: Reader, p: FieldPlan, flexible: boolean): void {
  if (p.kind !== Kind.Array) {
    skipValue(r, p.kind, p, flexible);
    return;
  }
  // The field's name alone labels a bad length: a template string here was garbage per skipped field.
  const n = r.length(flexible, true, p.name, FIXED_SIZE[p.elem] ?? 1);
  if (n < 0) {
    if (!p.nullable) throw invalidNull(p.name);
    return;
  }
  const size = fixedSize(p.elem);
  if (size !== undefined) r.skip(n * size, p.name);
  else for (let i = 0; i < n; i++) skipValue(r, p.elem, p, flexible);
}

function skipStruct(r: Reader, plan: StructPlan): void {
  for (const p of plan.fields) skipField(r, p, plan.flexible);
  if (!plan.flexible) return;
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint(); // tag
    r.skip(r.uvarint(), 'tagged field');
  }
}

/** The generated expression that reads one value of `kind` (a field, or one element of an array field). */
function readExpression(
  p: FieldPlan,
  kind: Kind,
  elementOfArray: boolean,
  flexible: boolean,
  skip: SkipFields | null,
  dep: (value: unknown) => string,
): string {
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
      const nested = dep((rr: Reader) => readStruct(rr, p.struct!, skip));
      if (p.nullable && p.kind === Kind.Struct) return `(r.int8() < 0 ? null : ${nested}(r))`;
      return `${nested}(r)`;
    }
    default:
      throw new Error(`unreachable kind ${kind}`);
  }
}

/**
 * Generates a decoder specialised for one struct of one version: straight-line reads into a single object
 * literal (one hidden class per struct, no per-field dispatch). This is the interpreter's plan turned into
 * code once; it reads exactly what readField would. Nested structs get their own decoders.
 */
function compileDecoder(plan: StructPlan, skip: SkipFields | null): StructDecoder {
  const deps: unknown[] = [];
  const dep = (value: unknown): string => {
    deps.push(value);
    return `d${deps.length - 1}`;
  };
  const lines: string[] = [];
  let temp = 0;
  const flexible = plan.flexible;
  const fieldExpr = (p: FieldPlan, kind: Kind, elementOfArray: boolean): string =>
    readExpression(p, kind, elementOfArray, flexible, skip, dep);
  const values: string[] = [];
  for (const p of plan.fields) {
    const key = JSON.stringify(p.name);
    if (skip?.has(p.name)) {
      lines.push(`${dep(skipField)}(r, ${dep(p)}, ${flexible});`);
      values.push(`${key}: ${p.kind === Kind.Array ? dep(SKIPPED_ARRAY) : defaultSource(p.spec, dep)}`);
      continue;
    }
    if (p.kind !== Kind.Array) {
      const v = `v${temp++}`;
      lines.push(`const ${v} = ${fieldExpr(p, p.kind, false)};`);
      values.push(`${key}: ${v}`);
      continue;
    }
    const n = `n${temp}`;
    const a = `v${temp++}`;
    const minSize = FIXED_SIZE[p.elem] ?? 1;
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

export function readTaggedFields(r: Reader, plan: StructPlan, o: Record<string, unknown>): void {
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
