/**
 * Encoding: an exact size pass, then a write pass into one buffer allocated at that size; both generated
 * per struct from the plans. Large record sets can be detached for zero-copy output.
 */

import type { FieldSpec } from '../schema.js';
import {
  defaultSource,
  defaultValue,
  FIXED_SIZE,
  type FieldPlan,
  Kind,
  type StructPlan,
  type StructSizer,
  type StructWriter,
} from './plan.js';

/**
 * Zero-copy output (encodeResponseChunks): record sets at least this large are not copied into the frame
 * buffer but returned as their own chunk. Module state rather than a parameter so the hot recursive
 * functions keep their shape; set and reset around one encode call (encoding is synchronous).
 */
let detachThreshold = Number.POSITIVE_INFINITY;
let detachedBytes = 0;

/** Starts a zero-copy encode: record sets of at least `threshold` bytes will be detached. */
export function beginDetaching(threshold: number): void {
  detachThreshold = Math.max(1, threshold);
  detachedBytes = 0;
}

/** Bytes of record sets the size pass counted as detached since beginDetaching. */
export function detachedSize(): number {
  return detachedBytes;
}

export function endDetaching(): void {
  detachThreshold = Number.POSITIVE_INFINITY;
  detachedBytes = 0;
}

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

export function sizeStruct(plan: StructPlan, o: Record<string, unknown>): number {
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

/**
 * Tagged fields are written only when they differ from their default, as Kafka's generated code does: a
 * tagged struct whose every field holds its default (Produce's current_leader of -1/-1) is left out too.
 */
function taggedPresent(p: FieldPlan, v: unknown): boolean {
  if (v === undefined) return false;
  if (p.kind === Kind.Array)
    return v === null ? p.spec.default !== null && p.nullable : (v as unknown[]).length > 0;
  if (p.kind === Kind.Struct) return v !== null && !holdsDefault(p.spec, v);
  if (p.kind === Kind.Bytes || p.kind === Kind.Records)
    return v === null ? false : (v as Uint8Array).length > 0;
  const def = defaultValue(p.spec);
  return v !== def;
}

/** Whether a value equals its field's default (a struct: every field of it, recursively). */
function holdsDefault(spec: FieldSpec, v: unknown): boolean {
  if (v === undefined) return true;
  if (spec.type.startsWith('[]')) return v === null ? spec.default === null : (v as unknown[]).length === 0;
  if (spec.type === 'struct') {
    if (v === null) return false;
    const o = v as Record<string, unknown>;
    return (spec.fields ?? []).every((f) => holdsDefault(f, o[f.name]));
  }
  if (spec.type === 'bytes') return v !== null && (v as Uint8Array).length === 0;
  return v === defaultValue(spec);
}

export class Writer {
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
    this.pos = writeInt64(this.buf, v, this.pos, name);
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

const TWO_32 = 4_294_967_296;

/**
 * Writes a big-endian int64 at `pos` and returns the position after it. Values within ±2^53 go through a
 * Number, as two 32-bit halves: `Buffer.writeBigInt64BE` builds several BigInts per call for its range
 * check and shifts, which was the largest allocation of a lag-monitor cycle (20,000 offsets a cycle).
 * Larger values take Node's path.
 */
export function writeInt64(buf: Buffer, v: unknown, pos: number, name: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n === 'number' && Number.isSafeInteger(n)) {
    const high = Math.floor(n / TWO_32);
    buf.writeInt32BE(high, pos);
    buf.writeUInt32BE(n - high * TWO_32, pos + 4);
    return pos + 8;
  }
  return buf.writeBigInt64BE(toBigInt(v, name), pos);
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
      w.pos = buf.writeInt8(v as number, w.pos);
      return;
    case Kind.Bool:
      buf[w.pos++] = v ? 1 : 0;
      return;
    case Kind.Int16:
      w.pos = buf.writeInt16BE(v as number, w.pos);
      return;
    case Kind.Uint16:
      w.pos = buf.writeUInt16BE(v as number, w.pos);
      return;
    case Kind.Int32:
      w.pos = buf.writeInt32BE(v as number, w.pos);
      return;
    case Kind.Uint32:
      w.pos = buf.writeUInt32BE(v as number, w.pos);
      return;
    case Kind.Int64:
      w.pos = writeInt64(buf, v, w.pos, p.name);
      return;
    case Kind.Float64:
      w.pos = buf.writeDoubleBE(v as number, w.pos);
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

export function writeStruct(w: Writer, plan: StructPlan, o: Record<string, unknown>): void {
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
