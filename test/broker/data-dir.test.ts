import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker } from '../helpers/broker.js';
import { rmTemp, tempDir } from './storage/helpers.js';

/**
 * A data directory the broker cannot use is refused at start, in one line naming the path and the cause.
 * The read-only and full file systems are small tmpfs mounts (CI runs as root; a developer without
 * mount rights sees this test fail saying so).
 */

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

function tmpfs(options: string): string {
  const dir = tempDir('sluice-tmpfs-');
  cleanup.push(() => rmTemp(dir));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(
      `this test mounts a small tmpfs and needs root (CI runs as root): ${(err as Error).message.split('\n')[0]}`,
    );
  }
  cleanup.push(() => execFileSync('umount', [dir]));
  return dir;
}

async function startError(dataDir: string): Promise<string> {
  const err = await startTestBroker({ dataDir, durability: 'sync' }).then(
    async (b) => {
      await b.stop();
      throw new Error(`the broker started on ${dataDir}`);
    },
    (e: Error) => e,
  );
  expect(err.message).not.toContain('\n');
  return err.message;
}

describe('unusable data directories', () => {
  it('/proc/x is refused at once (Node’s recursive mkdir spun forever there)', async () => {
    expect(await startError('/proc/x')).toMatch(
      /^cannot use the data directory \/proc\/x: no such file or directory.*\(ENOENT at \/proc\/x\); .*--data-dir/,
    );
  }, 10_000);

  it('a read-only file system is named as such', async () => {
    const ro = tmpfs('ro,size=1m');
    expect(await startError(path.join(ro, 'data'))).toMatch(
      new RegExp(`^cannot use the data directory ${ro}/data: the file system is read-only \\(EROFS`),
    );
  });

  it('a full disk on restart names the directory and the cause', async () => {
    const disk = tmpfs('size=512k');
    const dataDir = path.join(disk, 'data');
    const b = await startTestBroker({ dataDir, durability: 'sync' });
    await b.broker.store.createTopic('orders', 1, {});
    await b.stop();
    // Fill the disk to the last block.
    try {
      fs.writeFileSync(path.join(disk, 'filler'), Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC once it is full: what this test wants.
    }
    expect(await startError(dataDir)).toMatch(
      new RegExp(`^cannot use the data directory ${dataDir}: no space left on the device \\(ENOSPC`),
    );
  });
});
