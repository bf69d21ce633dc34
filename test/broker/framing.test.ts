import { connect, createServer, type Socket as NetSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readIntoOwnBuffers } from '../../src/broker/connection-reads.js';
import { FrameError, FrameReader } from '../../src/broker/framing.js';
import { ReadBufferPool } from '../../src/broker/storage/read-buffers.js';
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

/** Feeds `bytes` to the reader the way a socket reading into the reader's own buffers would, `step` at most per read. */
function readInto(reader: FrameReader, bytes: Buffer, step: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const target = reader.readTarget();
    const n = Math.min(step, target.length, bytes.length - at);
    bytes.copy(target, 0, at, at + n);
    reader.received(n, target);
    at += n;
    // A frame's bytes must survive the reuse of the scratch buffer: copy them out as the broker would not.
    for (let f = reader.next(); f; f = reader.next()) frames.push(Buffer.from(f));
  }
  return frames;
}

/** A pool that remembers what it handed out and what came back. */
function countingPool() {
  const pool = new ReadBufferPool();
  const taken: Buffer[] = [];
  const given: Buffer[] = [];
  return {
    taken,
    given,
    take: (size: number) => {
      const b = pool.take(size);
      taken.push(b);
      return b;
    },
    give: (b: Buffer) => {
      given.push(b);
      pool.give(b);
    },
  };
}

describe('FrameReader reading into its own buffers', () => {
  const big = Buffer.alloc(300 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
  const stream = Buffer.concat([
    frame(body('a')),
    frame(big),
    frame(body('')),
    frame(big.subarray(0, 20_000)),
    frame(body('tail')),
  ]);
  const expected = ['a', big, '', big.subarray(0, 20_000), 'tail'].map((f) =>
    typeof f === 'string' ? body(f) : f,
  );

  for (const step of [1, 3, 4096, 65536, 1 << 20]) {
    it(`returns every frame intact when reads deliver at most ${step} bytes`, () => {
      const reader = new FrameReader(1 << 20, countingPool());
      const frames = readInto(reader, stream, step);
      expect(frames.map((f) => f.length)).toEqual(expected.map((f) => f.length));
      expect(frames.map((f, i) => f.equals(expected[i]))).toEqual(expected.map(() => true));
      expect(reader.buffered).toBe(0);
    });
  }

  it('reads the body of a large frame straight into its pooled frame buffer, and hands that buffer out', () => {
    const pool = countingPool();
    const reader = new FrameReader(1 << 20, pool);
    const bytes = frame(big);
    readInto(reader, bytes.subarray(0, 1000), 1000); // the prefix and the first bytes, kept aside
    readInto(reader, bytes.subarray(1000, 2000), 1000); // the second read takes the frame buffer
    expect(pool.taken).toHaveLength(1);
    const target = reader.readTarget();
    expect(target.buffer).toBe(pool.taken[0].buffer); // the rest of the body lands in place
    expect(target.length).toBe(bytes.length - 2000);
    bytes.copy(target, 0, 2000);
    reader.received(bytes.length - 2000, target);
    const f = reader.next();
    expect(f?.equals(big)).toBe(true);
    expect(reader.takePooled()).toBe(pool.taken[0]);
  });

  it('takes no frame buffer while only the read carrying the prefix has arrived, and gives partial ones back on discard', () => {
    const pool = countingPool();
    const reader = new FrameReader(1 << 20, pool);
    const bytes = frame(big);
    readInto(reader, bytes.subarray(0, 65536), 65536);
    expect(pool.taken).toHaveLength(0); // a connection paused here (memory budget) holds only what it read
    readInto(reader, bytes.subarray(65536, 70000), 65536);
    expect(pool.taken).toHaveLength(1);
    reader.discard();
    expect(pool.given).toHaveLength(1);
    expect(pool.given[0]).toBe(pool.taken[0]);
    expect(reader.buffered).toBe(0);
  });

  it('refuses an oversized frame from its prefix, before its body arrives', () => {
    const reader = new FrameReader(100, countingPool());
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(101, 0);
    const target = reader.readTarget();
    prefix.copy(target);
    reader.received(4, target);
    expect(() => reader.next()).toThrow(/exceeds the limit of 100/);
  });
});

describe('readIntoOwnBuffers', () => {
  const open: Array<{ close(): void } | NetSocket> = [];
  afterEach(() => {
    for (const o of open.splice(0)) 'destroy' in o ? o.destroy() : o.close();
  });

  // That pause() stops the reads is what the request memory budget relies on: memory-floods.test.ts.
  it('makes an accepted plain socket read into the buffers it is given (Node 20), through pause() and resume()', async () => {
    const reads: number[] = [];
    const target = Buffer.alloc(16);
    let installed: boolean | undefined;
    let server!: ReturnType<typeof createServer>;
    const accepted = new Promise<NetSocket>((resolve) => {
      server = createServer((s) => {
        installed = readIntoOwnBuffers(
          s,
          () => target,
          (n, buf) => {
            expect(buf).toBe(target);
            reads.push(n);
          },
        );
        s.resume();
        resolve(s);
      });
    });
    open.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    open.push(client);
    const socket = await accepted;
    expect(installed).toBe(true);
    const ended = new Promise<void>((r) => socket.once('end', () => r()));
    client.write(Buffer.alloc(40, 1));
    await expect.poll(() => reads.reduce((a, b) => a + b, 0)).toBe(40);
    expect(Math.max(...reads)).toBeLessThanOrEqual(16); // never more than the buffer given
    socket.pause();
    client.write(Buffer.alloc(10, 2));
    socket.resume();
    await expect.poll(() => reads.reduce((a, b) => a + b, 0)).toBe(50);
    client.end();
    await ended; // the end of input still reaches the socket
  });
});
