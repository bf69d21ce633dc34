import { describe, expect, it } from 'vitest';
import { FrameError, FrameReader } from '../../src/broker/framing.js';
import { frame } from '../helpers/raw-client.js';

const body = (text: string) => Buffer.from(text, 'utf8');

describe('FrameReader', () => {
  it('reassembles a frame delivered one byte at a time', () => {
    const reader = new FrameReader(1024);
    const bytes = frame(body('hello kafka'));
    const out: string[] = [];
    for (const b of bytes) {
      reader.push(Buffer.from([b]));
      for (let f = reader.next(); f; f = reader.next()) out.push(f.toString());
    }
    expect(out).toEqual(['hello kafka']);
    expect(reader.buffered).toBe(0);
  });

  it('splits several frames coalesced in one chunk, keeping a trailing partial frame', () => {
    const reader = new FrameReader(1024);
    const all = Buffer.concat([frame(body('a')), frame(body('bb')), frame(body('')), frame(body('dddd'))]);
    reader.push(all.subarray(0, all.length - 2));
    const out: string[] = [];
    for (let f = reader.next(); f; f = reader.next()) out.push(f.toString());
    expect(out).toEqual(['a', 'bb', '']);
    reader.push(all.subarray(all.length - 2));
    expect(reader.next()?.toString()).toBe('dddd');
    expect(reader.next()).toBeNull();
  });

  it('reads a size prefix split across chunks', () => {
    const reader = new FrameReader(1024);
    const bytes = frame(body('xyz'));
    reader.push(bytes.subarray(0, 1));
    reader.push(bytes.subarray(1, 3));
    expect(reader.next()).toBeNull();
    reader.push(bytes.subarray(3));
    expect(reader.next()?.toString()).toBe('xyz');
  });

  it('rejects an oversized frame as soon as its size is known, before the body arrives', () => {
    const reader = new FrameReader(100);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(101, 0);
    reader.push(prefix);
    expect(() => reader.next()).toThrow(FrameError);
    expect(() => reader.next()).toThrow(/exceeds the limit of 100/);
  });

  it('rejects a negative frame size', () => {
    const reader = new FrameReader(100);
    reader.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    expect(() => reader.next()).toThrow(/negative/);
  });
});
