// The embedded broker in its own process for the monitor benchmark, so neither our monitor nor Burrow
// shares a process with it. Prints {"port":N} once listening; stops on SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Broker } from '../../src/broker/broker.js';

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-monitor-bench-'));
const broker = new Broker(
  {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    durability: 'memory',
  },
  { logger: pino({ level: 'silent' }) },
);
const { port } = await broker.start();
process.stdout.write(`${JSON.stringify({ port })}\n`);
const stop = async () => {
  await broker.stop(1000).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
