import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import snappy from 'snappy';
import { describe, expect, it } from 'vitest';
import {
  CompressionCodec,
  CompressionFormatError,
  codecName,
  compress,
  DecompressionLimitError,
  decompress,
  UnknownCompressionError,
} from '../../src/protocol/compression.js';

const text = Buffer.from('sluice keeps lag in the broker, not in the heap. '.repeat(2000));
const noise = randomBytes(100_000);

describe('compression codecs', () => {
  for (const name of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`${name} round-trips text, random bytes and an empty buffer`, async () => {
      for (const input of [text, noise, Buffer.alloc(0)]) {
        const packed = await compress(name, input);
        if (name !== 'none' && input === text) expect(packed.length).toBeLessThan(input.length / 5);
        expect((await decompress(CompressionCodec[name], packed)).equals(input)).toBe(true);
      }
    });
  }

  it('writes Kafka wire formats: xerial-framed snappy, LZ4 frame magic, zstd frame magic, gzip', async () => {
    expect((await compress('snappy', text)).subarray(0, 8).toString('latin1')).toBe('\x82SNAPPY\x00');
    expect((await compress('lz4', text)).readUInt32LE(0)).toBe(0x184d2204);
    expect((await compress('zstd', text)).readUInt32LE(0)).toBe(0xfd2fb528);
    expect((await compress('gzip', text)).subarray(0, 2).toString('hex')).toBe('1f8b');
  });

  it('reads a bare snappy block as librdkafka may send it', async () => {
    expect((await decompress('snappy', snappy.compressSync(text))).equals(text)).toBe(true);
  });

  it('refuses output above the limit with a clear error (decompression bomb guard)', async () => {
    const zeros = Buffer.alloc(8 * 1024 * 1024);
    for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const packed = name === 'gzip' ? gzipSync(zeros) : await compress(name, zeros);
      await expect(decompress(name, packed, { maxOutputBytes: 1024 * 1024 })).rejects.toBeInstanceOf(
        DecompressionLimitError,
      );
    }
    await expect(decompress('gzip', gzipSync(zeros), { maxOutputBytes: 1000 })).rejects.toThrow(/limit/);
  });

  it('reports malformed input and unknown codecs', async () => {
    await expect(decompress('gzip', Buffer.from('not gzip at all'))).rejects.toBeInstanceOf(
      CompressionFormatError,
    );
    await expect(decompress('lz4', Buffer.from('not lz4 at all'))).rejects.toBeInstanceOf(
      CompressionFormatError,
    );
    expect(() => codecName(7)).toThrow(UnknownCompressionError);
    expect(() => codecName('brotli')).toThrow(/gzip=1/);
  });
});
