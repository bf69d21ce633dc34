import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { waitFor } from '../helpers/burrow.js';
import { WireClient } from '../helpers/wire-client.js';
import { BIN, requireBuild } from '../lab/helpers.js';

/**
 * Floods that used to take the broker's memory or connections without a ceiling: many connections each
 * sending most of a maximum-size frame, and slow-loris connections trickling a frame one byte at a time.
 * The broker runs as its own process (the built CLI, with the flags an operator would give), so its RSS
 * is its own.
 */

const MiB = 1024 * 1024;
const FRAME = 8 * MiB;
const HOGS = 32;
const children: ChildProcessWithoutNullStreams[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

async function startBroker(args: string[]): Promise<{ pid: number; port: number; output: () => string }> {
  requireBuild();
  const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--durability', 'memory', ...args], {
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const port = await waitFor(
    'the broker banner',
    async () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      return m ? Number(m[1]) : undefined;
    },
    15_000,
    () => out,
  );
  return { pid: child.pid!, port, output: () => out };
}

/** Resident set size of a process, from /proc (Linux, as CI is). */
function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** A socket that sends the start of a frame of `frameBytes` and never the rest; resolves once connected. */
function openSocket(port: number): Promise<Socket & { closedByPeer: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }) as Socket & { closedByPeer: Promise<void> };
    sockets.push(s);
    s.closedByPeer = new Promise((r) => s.once('close', () => r()));
    s.on('error', () => {}); // the broker resets hogs it closes; that is the point
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function framePrefix(bytes: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(bytes);
  return b;
}

async function stillServes(port: number): Promise<void> {
  const c = await WireClient.open(port);
  try {
    const r = await c.request(ApiKey.ApiVersions, 0, {});
    expect(r.errorCode).toBe(0);
  } finally {
    c.raw.close();
  }
}

describe('broker memory and connections under floods', () => {
  it('thirty-two connections sending 7.5 MiB of an 8 MiB frame stay within the request memory budget', async () => {
    const budget = 32 * MiB;
    const b = await startBroker([
      '--max-request-bytes',
      String(FRAME),
      '--queued-max-request-bytes',
      String(budget),
      '--frame-read-timeout-ms',
      '1000',
      ...(process.env.SLUICE_FLOOD_UNBOUNDED ? ['--queued-max-request-bytes', String(2 ** 40)] : []),
    ]);
    const baseline = rssOf(b.pid);
    const body = Buffer.alloc(FRAME - MiB / 2, 7);
    const hogs = await Promise.all(Array.from({ length: HOGS }, () => openSocket(b.port)));
    for (const s of hogs) {
      s.write(framePrefix(FRAME - 4));
      s.write(body);
    }
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, rssOf(b.pid));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    // Every hog is closed by the frame deadline once it holds a reservation and stalls; the others wait
    // (not reading) for the budget, then get their turn.
    await Promise.all(hogs.map((s) => s.closedByPeer));
    sampling = false;
    await sampler;
    // Unbounded, the broker read all 32 × 7.5 MiB = 240 MiB; bounded, the budget plus one frame and one
    // socket chunk per waiting connection, plus allocator slack (a fresh-clone CI run peaked at 104 MiB;
    // without the budget the growth is over 180 MiB).
    const growth = peak - baseline;
    process.stdout.write(`request flood: peak broker RSS growth ${(growth / MiB).toFixed(1)} MiB\n`);
    expect(growth, `peak RSS growth ${(growth / MiB).toFixed(1)} MiB`).toBeLessThan(
      budget + FRAME + 96 * MiB,
    );
    expect(b.output()).toMatch(/did not complete in time/);
    await stillServes(b.port);
  }, 90_000);

  it('fifty slow-loris connections trickling a frame are closed by the frame deadline', async () => {
    const b = await startBroker(['--frame-read-timeout-ms', '1000']);
    const loris = await Promise.all(Array.from({ length: 50 }, () => openSocket(b.port)));
    const frame = Buffer.concat([framePrefix(60), Buffer.alloc(60, 1)]);
    let sent = 0;
    const trickle = setInterval(() => {
      // One byte every 100 ms on every connection: each byte would reset an idle timer.
      for (const s of loris) if (!s.destroyed && sent < frame.length) s.write(frame.subarray(sent, sent + 1));
      sent++;
    }, 100);
    try {
      await Promise.all(loris.map((s) => s.closedByPeer));
    } finally {
      clearInterval(trickle);
    }
    // Closed before the frame could have completed (64 bytes at 10 bytes/s take 6.4 s).
    expect(sent).toBeLessThan(frame.length);
    await stillServes(b.port);
  }, 60_000);

  it('--max-request-bytes closes a connection announcing a bigger frame, before its body arrives', async () => {
    const b = await startBroker(['--max-request-bytes', '1024']);
    const s = await openSocket(b.port);
    s.write(framePrefix(1025));
    await s.closedByPeer;
    expect(b.output()).toMatch(/frame of 1025 bytes exceeds the limit of 1024 \(--max-request-bytes/);
    await stillServes(b.port);
  }, 30_000);
});
