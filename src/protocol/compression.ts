/**
 * The record-batch compression codecs Kafka defines (attributes bits 0-2): none, gzip, snappy, lz4, zstd.
 *
 * Wire formats, as Kafka clients produce them:
 * - gzip: an RFC 1952 gzip stream.
 * - snappy: the Java client writes snappy-java's "xerial" framing (a 16-byte header, then blocks each
 *   prefixed with a big-endian int32 length); librdkafka reads both that and a bare snappy block. We read
 *   both and write xerial framing, which every client understands.
 * - lz4: the LZ4 *frame* format (magic 0x184D2204) with independent blocks, as magic-2 batches use it.
 * - zstd: a standard zstd frame.
 *
 * Decompression is bounded (`maxOutputBytes`) so that a small hostile batch cannot make the broker
 * allocate gigabytes: gzip stops inflating at the limit; snappy and zstd check the size the frame
 * declares before decoding; lz4 frames are checked after decoding (lz4-napi offers no bounded API, and
 * LZ4's worst-case expansion ratio is ~255:1, so the input size caps the damage).
 *
 * gzip is Node's zlib; snappy, lz4 and zstd are native packages (`snappy`, `lz4-napi`, `zstd-napi`) that are
 * optional peer dependencies, loaded the first time a batch in that codec is read or written.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { loadOptional, MissingOptionalDependencyError } from './optional-module.js';

export const CompressionCodec = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const;

type CompressionName = keyof typeof CompressionCodec;
type CompressionCode = (typeof CompressionCodec)[CompressionName];

// The slices of the native codec packages used here (their own typings stay out of our declarations).
interface SnappyModule {
  compressSync(input: Buffer): Buffer;
  uncompressSync(input: Buffer, options: { asBuffer: true }): Buffer | string;
}
interface Lz4Module {
  compressFrame(input: Buffer): Promise<Buffer>;
  decompressFrame(input: Buffer): Promise<Buffer>;
}
interface ZstdModule {
  compress(input: Buffer): Buffer;
  decompress(input: Buffer): Buffer;
}
interface ZstdBinding {
  getFrameContentSize(buf: Uint8Array): number | null;
}

const snappy = () => loadOptional<SnappyModule>('snappy', 'snappy', 'snappy compression');
const lz4 = () => loadOptional<Lz4Module>('lz4-napi', 'lz4-napi', 'lz4 compression');
const zstd = () => loadOptional<ZstdModule>('zstd-napi', 'zstd-napi', 'zstd compression');
const zstdBinding = () => loadOptional<ZstdBinding>('zstd-napi/binding', 'zstd-napi', 'zstd compression');

const NAMES: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** Default ceiling on one batch's decompressed size (records inside are bounded by the fetch anyway). */
const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export class UnknownCompressionError extends Error {
  override name = 'UnknownCompressionError';
  constructor(readonly codec: number | string) {
    super(
      `unknown compression codec ${JSON.stringify(codec)}: Kafka defines none=0, gzip=1, snappy=2, lz4=3, zstd=4`,
    );
  }
}

export class DecompressionLimitError extends Error {
  override name = 'DecompressionLimitError';
  constructor(
    readonly codec: CompressionName,
    readonly limit: number,
    readonly declared?: number,
  ) {
    super(
      `${codec} data decompresses to ${declared !== undefined ? `${declared} bytes, ` : ''}more than the ` +
        `${limit}-byte limit; refusing it (raise maxOutputBytes if such batches are legitimate)`,
    );
  }
}

export class CompressionFormatError extends Error {
  override name = 'CompressionFormatError';
  constructor(
    readonly codec: CompressionName,
    detail: string,
  ) {
    super(`malformed ${codec} data: ${detail}`);
  }
}

/** Accepts a codec number (attributes bits) or name and returns its name. */
export function codecName(codec: number | string): CompressionName {
  if (typeof codec === 'number') {
    const name = NAMES[codec];
    if (name === undefined) throw new UnknownCompressionError(codec);
    return name;
  }
  if (!(codec in CompressionCodec)) throw new UnknownCompressionError(codec);
  return codec as CompressionName;
}

export function codecCode(codec: number | string): CompressionCode {
  return CompressionCodec[codecName(codec)];
}

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip) as (buf: Buffer, opts: zlib.ZlibOptions) => Promise<Buffer>;

export async function compress(codec: number | string, buf: Buffer): Promise<Buffer> {
  switch (codecName(codec)) {
    case 'none':
      return buf;
    case 'gzip':
      return gzip(buf);
    case 'snappy':
      return xerialCompress(buf);
    case 'lz4':
      return lz4().compressFrame(buf);
    case 'zstd':
      return zstd().compress(buf);
  }
}

export interface DecompressOptions {
  /** Refuse output larger than this many bytes (default 256 MiB). */
  maxOutputBytes?: number;
}

export async function decompress(
  codec: number | string,
  buf: Buffer,
  opts: DecompressOptions = {},
): Promise<Buffer> {
  const name = codecName(codec);
  const limit = opts.maxOutputBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  let out: Buffer;
  try {
    switch (name) {
      case 'none':
        out = buf;
        break;
      case 'gzip':
        out = await gunzip(buf, { maxOutputLength: limit });
        break;
      case 'snappy':
        out = await snappyDecompress(buf, limit);
        break;
      case 'lz4':
        out = await lz4().decompressFrame(buf);
        break;
      case 'zstd':
        out = zstdDecompress(buf, limit);
        break;
    }
  } catch (err) {
    if (
      err instanceof DecompressionLimitError ||
      err instanceof CompressionFormatError ||
      err instanceof MissingOptionalDependencyError
    ) {
      throw err;
    }
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecompressionLimitError(name, limit);
    }
    throw new CompressionFormatError(name, (err as Error).message);
  }
  if (out.length > limit) throw new DecompressionLimitError(name, limit, out.length);
  return out;
}

// --- snappy (xerial framing) ---------------------------------------------------------------------

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_BLOCK = 32 * 1024;

function isXerial(buf: Buffer): boolean {
  return buf.length >= XERIAL_HEADER_SIZE && buf.subarray(0, 8).equals(XERIAL_MAGIC);
}

function xerialCompress(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  parts.push(header);
  for (let at = 0; at < buf.length || at === 0; at += XERIAL_BLOCK) {
    const block = snappy().compressSync(buf.subarray(at, at + XERIAL_BLOCK));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
    if (buf.length === 0) break;
  }
  return Buffer.concat(parts);
}

/** Length a raw snappy block declares in its varint preamble (checked before allocating). */
function snappyDeclaredLength(block: Buffer): number {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw new CompressionFormatError('snappy', 'truncated length preamble');
    const byte = block[i];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return value;
    shift += 7;
  }
  throw new CompressionFormatError('snappy', 'length preamble longer than 5 bytes');
}

async function snappyDecompress(buf: Buffer, limit: number): Promise<Buffer> {
  if (!isXerial(buf)) {
    const declared = snappyDeclaredLength(buf);
    if (declared > limit) throw new DecompressionLimitError('snappy', limit, declared);
    return snappy().uncompressSync(buf, { asBuffer: true }) as Buffer;
  }
  const blocks: Buffer[] = [];
  let total = 0;
  let at = XERIAL_HEADER_SIZE;
  while (at < buf.length) {
    if (at + 4 > buf.length) throw new CompressionFormatError('snappy', 'truncated xerial block length');
    const len = buf.readInt32BE(at);
    at += 4;
    if (len < 0 || at + len > buf.length) {
      throw new CompressionFormatError(
        'snappy',
        `xerial block of ${len} bytes runs past the end of the data`,
      );
    }
    const block = buf.subarray(at, at + len);
    at += len;
    total += snappyDeclaredLength(block);
    if (total > limit) throw new DecompressionLimitError('snappy', limit, total);
    blocks.push(snappy().uncompressSync(block, { asBuffer: true }) as Buffer);
  }
  return blocks.length === 1 ? blocks[0] : Buffer.concat(blocks, total);
}

// --- zstd ------------------------------------------------------------------------------------------

function zstdDecompress(buf: Buffer, limit: number): Buffer {
  // Frames written in one shot declare their content size; streamed frames (zstd-jni's output stream)
  // may not, and are then checked after decoding.
  const declared = zstdFrameContentSize(buf);
  if (declared !== null && declared > limit) throw new DecompressionLimitError('zstd', limit, declared);
  return zstd().decompress(buf);
}

function zstdFrameContentSize(buf: Buffer): number | null {
  try {
    const size = zstdBinding().getFrameContentSize(buf);
    return typeof size === 'number' && Number.isFinite(size) ? size : null;
  } catch {
    return null;
  }
}
