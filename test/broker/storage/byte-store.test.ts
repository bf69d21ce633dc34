import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore, MemoryStore, newStats } from '../../../src/broker/storage/byte-store.js';
import { rmTemp, tempDir } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmTemp(d);
});

describe('byte stores', () => {
  it('memory and file stores return the same bytes for any range, across arena boundaries', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const stats = newStats();
    const mem = new MemoryStore();
    const file = FileStore.open(path.join(dir, 'x.log'), stats);
    const parts: Buffer[] = [];
    let size = 0;
    while (size < 3.5 * 1024 * 1024) {
      const part = randomBytes(1 + Math.floor(Math.random() * 200_000));
      await mem.write(part, size);
      await file.write(part, size);
      parts.push(part);
      size += part.length;
    }
    const all = Buffer.concat(parts);
    for (let i = 0; i < 200; i++) {
      const at = Math.floor(Math.random() * size);
      const len = Math.floor(Math.random() * 1.5 * 1024 * 1024);
      const want = all.subarray(at, Math.min(size, at + len));
      expect(mem.readSync(at, len).equals(want)).toBe(true);
      expect(file.readSync(at, len).equals(want)).toBe(true);
    }
    expect(mem.readSync(size, 10).length).toBe(0);
    await file.sync();
    expect(stats).toMatchObject({ fsyncs: 1, writes: parts.length, bytesWritten: size });
    await mem.truncate(1000);
    expect(mem.readSync(0, 5000).equals(all.subarray(0, 1000))).toBe(true);
    await file.close();
  });

  it('the memory store keeps its own copy of what the caller wrote', async () => {
    const mem = new MemoryStore();
    const buf = Buffer.from('hello');
    await mem.write(buf, 0);
    buf.fill(0);
    expect(mem.readSync(0, 5).toString()).toBe('hello');
    await expect(mem.write(buf, 3)).rejects.toThrow(/expected 5/);
  });

  it('the file store writes appends issued while a write is in flight together, every byte in place', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = FileStore.open(path.join(dir, 'y.log'), newStats());
    const parts = Array.from({ length: 300 }, () => randomBytes(1 + Math.floor(Math.random() * 20_000)));
    const writes: Promise<void>[] = [];
    let at = 0;
    for (const part of parts) {
      writes.push(file.write(part, at));
      at += part.length;
    }
    // A write elsewhere (not continuing the queue) is written on its own, after those before it.
    writes.push(file.write(Buffer.from('gap'), at + 100));
    await Promise.all(writes);
    const all = Buffer.concat(parts);
    expect(file.readSync(0, all.length).equals(all)).toBe(true);
    expect(file.readSync(at + 100, 3).toString()).toBe('gap');
    await file.close();
  });

  it('the file store fails every queued append when the write fails', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = FileStore.open(path.join(dir, 'z.log'), newStats());
    await file.close(); // the descriptor is gone: the write fails (EBADF)
    const a = file.write(Buffer.from('a'), 0);
    const b = file.write(Buffer.from('b'), 1);
    await expect(a).rejects.toThrow(/writing .*z\.log/);
    await expect(b).rejects.toThrow(/writing .*z\.log/);
  });

  it("a file opened after another writes only once the other's queued writes are done (a log's next segment)", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const sealed = FileStore.open(path.join(dir, 'a.log'), newStats());
    const order: string[] = [];
    // Many large writes in flight on the old file; the new file's one small write would finish first.
    const big = Buffer.alloc(4 * 1024 * 1024, 1);
    const sealedWrites = Array.from({ length: 8 }, (_, i) =>
      sealed.write(big, i * big.length).then(() => order.push(`sealed ${i}`)),
    );
    const next = FileStore.open(path.join(dir, 'b.log'), newStats(), sealed);
    const nextWrite = next.write(Buffer.from('next'), 0).then(() => order.push('next'));
    await Promise.all([...sealedWrites, nextWrite]);
    expect(order.at(-1)).toBe('next');
    expect(next.readSync(0, 4).toString()).toBe('next');
    // Once the old file is idle, the new one no longer waits: its writes are its own.
    await next.write(Buffer.from('more'), 4);
    expect(next.readSync(0, 8).toString()).toBe('nextmore');
    await sealed.close();
    await next.close();
  });
});
