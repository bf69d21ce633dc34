// Builds sample bodies for any API version straight from its description, plus the object a decoder must
// return for them (fields absent in that version replaced by their defaults).
import { type FieldSpec, inRange } from '../../src/protocol/schema.js';

export type Variant = 'full' | 'nulls' | 'wide';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function defaultOf(spec: FieldSpec): unknown {
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
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'uuid':
      return ZERO_UUID;
    case 'struct':
      return Object.fromEntries((spec.fields ?? []).map((f) => [f.name, defaultOf(f)]));
    default:
      return 0;
  }
}

class Seq {
  n = 1;
  next(): number {
    this.n = (this.n * 1103515245 + 12345) % 2147483647;
    return this.n;
  }
}

function scalar(type: string, seq: Seq, variant: Variant): unknown {
  const n = seq.next();
  switch (type) {
    case 'int8':
      return variant === 'wide' ? -128 : (n % 100) - 50;
    case 'int16':
      return variant === 'wide' ? 32767 : (n % 20000) - 10000;
    case 'uint16':
      return variant === 'wide' ? 65535 : n % 60000;
    case 'int32':
      return variant === 'wide' ? -2147483648 : n - 1000000000;
    case 'uint32':
      return variant === 'wide' ? 4294967295 : n;
    case 'int64':
      return variant === 'wide' ? -9223372036854775808n : BigInt(n) * 4294967296n + BigInt(n % 1000);
    case 'float64':
      return n / 7;
    case 'bool':
      return n % 2 === 0;
    case 'string':
      // 'wide' strings cross the one-byte compact-length boundary and use multi-byte UTF-8.
      return variant === 'wide' ? `é€😀-${'x'.repeat(130)}-${n}` : `s${n % 1000}`;
    case 'bytes':
    case 'records':
      return Buffer.from(variant === 'wide' ? 'b'.repeat(200) : `bytes-${n}`);
    case 'uuid': {
      const b = Buffer.alloc(16);
      b.writeUInt32BE(n, 0);
      b.writeUInt32BE(n ^ 0x5a5a5a5a, 12);
      return b.toString('base64url');
    }
    default:
      throw new Error(`no sample for ${type}`);
  }
}

export interface Sample {
  value: Record<string, unknown>;
  expected: Record<string, unknown>;
}

export function sampleStruct(
  specs: readonly FieldSpec[],
  version: number,
  flexible: boolean,
  variant: Variant,
  seq = new Seq(),
): Sample {
  const value: Record<string, unknown> = {};
  const expected: Record<string, unknown> = {};
  for (const spec of specs) {
    const onlyTagged = spec.tagged !== undefined;
    const exists =
      inRange(spec.versions, version) && (!onlyTagged || (flexible && inRange(spec.tagged, version)));
    if (!exists) {
      expected[spec.name] = defaultOf(spec);
      continue;
    }
    const nullable = inRange(spec.nullable, version);
    if (variant === 'nulls' && nullable) {
      value[spec.name] = null;
      expected[spec.name] = null;
      continue;
    }
    const isArray = spec.type.startsWith('[]');
    const base = isArray ? spec.type.slice(2) : spec.type;
    const one = (): Sample =>
      base === 'struct'
        ? sampleStruct(spec.fields!, version, flexible, variant, seq)
        : (() => {
            const v = scalar(base, seq, variant);
            return { value: v as never, expected: v as never };
          })();
    if (isArray) {
      const count = variant === 'nulls' ? (onlyTagged ? 1 : 0) : 2;
      const items = Array.from({ length: count }, one);
      value[spec.name] = items.map((i) => i.value);
      expected[spec.name] = items.map((i) => i.expected);
    } else {
      const s = one();
      value[spec.name] = s.value;
      expected[spec.name] = s.expected;
    }
  }
  return { value, expected };
}
