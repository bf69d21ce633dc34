/**
 * Variable-length integers as Kafka encodes them: unsigned LEB128 varints (compact lengths, tagged
 * fields) and zig-zag signed varints / varlongs (record fields inside a v2 batch).
 */

export interface ReadResult<T> {
  value: T;
  /** Offset just past what was read. */
  next: number;
}

export function readUnsignedVarint(buf: Buffer, offset: number): ReadResult<number> {
  let value = 0;
  let shift = 0;
  let pos = offset;
  for (;;) {
    if (pos >= buf.length) throw new RangeError('varint runs past the end of the buffer');
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) throw new RangeError('unsigned varint longer than 5 bytes');
  }
  return { value, next: pos };
}

export function unsignedVarintSize(value: number): number {
  let size = 1;
  let v = value >>> 0;
  while (v >= 0x80) {
    v >>>= 7;
    size++;
  }
  return size;
}

export function writeUnsignedVarint(buf: Buffer, offset: number, value: number): number {
  let v = value >>> 0;
  let pos = offset;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

export function readVarint(buf: Buffer, offset: number): ReadResult<number> {
  const { value, next } = readUnsignedVarint(buf, offset);
  // zig-zag: 0,-1,1,-2,... ; value fits in 32 bits here
  const n = value >>> 0;
  return { value: (n >>> 1) ^ -(n & 1), next };
}

export function varintSize(value: number): number {
  return unsignedVarintSize(((value << 1) ^ (value >> 31)) >>> 0);
}

export function writeVarint(buf: Buffer, offset: number, value: number): number {
  return writeUnsignedVarint(buf, offset, ((value << 1) ^ (value >> 31)) >>> 0);
}

export function readVarlong(buf: Buffer, offset: number): ReadResult<bigint> {
  let raw = 0n;
  let shift = 0n;
  let pos = offset;
  for (;;) {
    if (pos >= buf.length) throw new RangeError('varlong runs past the end of the buffer');
    const byte = buf[pos++];
    raw |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7n;
    if (shift > 63n) throw new RangeError('varlong longer than 10 bytes');
  }
  return { value: (raw >> 1n) ^ -(raw & 1n), next: pos };
}

function zigzag64(value: bigint): bigint {
  return BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
}

export function varlongSize(value: bigint): number {
  let v = zigzag64(value);
  let size = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    size++;
  }
  return size;
}

export function writeVarlong(buf: Buffer, offset: number, value: bigint): number {
  let v = zigzag64(value);
  let pos = offset;
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[pos++] = Number(v);
  return pos;
}
