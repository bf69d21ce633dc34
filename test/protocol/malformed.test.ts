import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { API_SPECS } from '../../src/protocol/apis/index.js';
import {
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  isFlexibleVersion,
  ProtocolDecodeError,
} from '../../src/protocol/messages.js';
import { advertisedVersions } from '../helpers/broker.js';
import { sampleStruct } from './sample.js';

// Every (API, version) the broker really serves: its handler registry, group APIs included.
const ADVERTISED = await advertisedVersions();

function expectDecodeError(fn: () => unknown, reason?: string): ProtocolDecodeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolDecodeError);
    if (reason) expect((err as ProtocolDecodeError).reason).toBe(reason);
    return err as ProtocolDecodeError;
  }
  throw new Error('expected a ProtocolDecodeError, decoding succeeded');
}

/** One valid request frame (without size prefix) and one response frame per advertised (API, version). */
function validFrames(): Array<{ key: number; version: number; request: Buffer; response: Buffer }> {
  const out = [];
  for (const [keyText, range] of Object.entries(ADVERTISED)) {
    const key = Number(keyText);
    const spec = API_SPECS[key];
    for (let version = range.min; version <= range.max; version++) {
      const flexible = isFlexibleVersion(key, version);
      const req = sampleStruct(spec.request, version, flexible, 'full');
      const res = sampleStruct(spec.response, version, flexible, 'full');
      out.push({
        key,
        version,
        request: encodeRequest(key, version, 1, 'c', req.value as never).subarray(4),
        response: encodeResponse(key, version, 1, res.value as never).subarray(4),
      });
    }
  }
  return out;
}

/** Small deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('malformed frames', () => {
  const frames = validFrames();

  it('every strict prefix of every valid request and response frame is rejected as a decode error', () => {
    let checked = 0;
    for (const { key, version, request, response } of frames) {
      for (let n = 0; n < request.length; n++) {
        expectDecodeError(() => decodeRequest(request.subarray(0, n)));
        checked++;
      }
      for (let n = 0; n < response.length; n++) {
        expectDecodeError(() => decodeResponse(key, version, response.subarray(0, n)));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('keeps the correlation id of a truncated request when the header was readable', () => {
    const { request } = frames.find((f) => f.key === ApiKey.Produce && f.version === 3)!;
    const err = expectDecodeError(() => decodeRequest(request.subarray(0, request.length - 3)), 'truncated');
    expect(err.correlationId).toBe(1);
    expect(err.apiKey).toBe(ApiKey.Produce);
    expect(err.message).toMatch(/^Produce v3: frame ends early/);
  });

  it('rejects negative lengths other than -1', () => {
    // Metadata v1, topics array of length -5
    const frame = Buffer.from('0003000100000001ffff' + 'fffffffb', 'hex');
    expect(expectDecodeError(() => decodeRequest(frame), 'invalid').message).toMatch(/negative length -5/);
    // Produce v3 with a topic name of length -2
    const produce = Buffer.from(
      '0000000300000001ffff' + 'ffff' + 'ffff' + '000003e8' + '00000001' + 'fffe',
      'hex',
    );
    expectDecodeError(() => decodeRequest(produce), 'invalid');
  });

  it('rejects oversized lengths without allocating them', () => {
    // Metadata v1 claiming 2^31-1 topics in a 14-byte frame.
    const frame = Buffer.from('0003000100000001ffff' + '7fffffff', 'hex');
    const before = process.memoryUsage().arrayBuffers;
    expect(expectDecodeError(() => decodeRequest(frame), 'truncated').message).toMatch(/2147483647/);
    // A records blob claiming 2 GiB.
    const produce = Buffer.from(
      '0000000300000001ffff' +
        'ffff' +
        'ffff' +
        '000003e8' +
        '00000001' +
        '000174' +
        '00000001' +
        '00000000' +
        '7fffffff',
      'hex',
    );
    expectDecodeError(() => decodeRequest(produce), 'truncated');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('rejects varints longer than 5 bytes and null values in non-nullable fields', () => {
    // ApiVersions v3 (flexible): client software name with a 6-byte varint length
    const longVarint = Buffer.from('0012000300000001ffff00' + 'ffffffffff01', 'hex');
    expectDecodeError(() => decodeRequest(longVarint), 'invalid');
    // Metadata v0: topics array null (-1) where v0 does not allow null
    const nullTopics = Buffer.from('0003000000000001ffff' + 'ffffffff', 'hex');
    expect(expectDecodeError(() => decodeRequest(nullTopics), 'invalid').message).toMatch(/topics is null/);
  });

  it('rejects headers shorter than 8 bytes and client ids running past the frame', () => {
    expectDecodeError(() => decodeRequestHeader(Buffer.from('000300', 'hex')), 'truncated');
    const err = expectDecodeError(() =>
      decodeRequestHeader(Buffer.from('0003000100000009' + '0010' + '6162', 'hex')),
    );
    expect(err.correlationId).toBe(9);
  });

  it('random garbage and random mutations of valid frames never escape as anything but ProtocolDecodeError', () => {
    const random = rng(20261123);
    let decodeErrors = 0;
    for (let round = 0; round < 3000; round++) {
      const base = frames[Math.floor(random() * frames.length)];
      let frame: Buffer;
      if (round % 3 === 0) {
        frame = Buffer.alloc(Math.floor(random() * 64));
        for (let i = 0; i < frame.length; i++) frame[i] = Math.floor(random() * 256);
        // Keep a plausible header half of the time so the body decoder is exercised.
        if (random() < 0.5 && frame.length >= 4) {
          frame.writeInt16BE(base.key, 0);
          frame.writeInt16BE(base.version, 2);
        }
      } else {
        frame = Buffer.from(round % 3 === 1 ? base.request : base.response);
        const flips = 1 + Math.floor(random() * 4);
        for (let i = 0; i < flips; i++)
          frame[Math.floor(random() * frame.length)] = Math.floor(random() * 256);
      }
      try {
        if (round % 3 === 2) decodeResponse(base.key, base.version, frame);
        else decodeRequest(frame);
      } catch (err) {
        if (!(err instanceof ProtocolDecodeError)) throw err;
        decodeErrors++;
      }
    }
    expect(decodeErrors).toBeGreaterThan(1000);
  });
});
