/**
 * CRC-32C (Castagnoli), the checksum of magic-2 record batches. Native (`@node-rs/crc32`, SSE4.2 or
 * ARMv8 CRC instructions) because the broker checks one per produced batch.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C of `buf`, continuing from `initial` (the CRC of the bytes before it) when given. */
export function crc32c(buf: Uint8Array, initial?: number): number {
  return nativeCrc32c(buf, initial) >>> 0;
}
