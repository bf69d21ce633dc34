/**
 * A cheap, shallow estimate of an item's in-memory size, for byte-bounded queues. It is deliberately
 * rough (it does not walk nested objects): components that carry large payloads should pass their own
 * `sizeOf`.
 */
export function estimateBytes(value: unknown): number {
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
      return 4;
    case 'string':
      return 16 + value.length * 2;
    case 'object': {
      if (value === null) return 8;
      if (ArrayBuffer.isView(value)) return 16 + value.byteLength;
      if (Array.isArray(value)) return 16 + value.length * 8;
      let bytes = 16;
      for (const key in value) {
        const field = (value as Record<string, unknown>)[key];
        bytes += 8 + key.length + (typeof field === 'string' ? 16 + field.length * 2 : 8);
      }
      return bytes;
    }
    default:
      return 8;
  }
}
