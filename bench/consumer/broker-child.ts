/** The embedded broker in its own process, so its memory is not counted against any consumer. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Broker } from '../../src/broker/broker.js';

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-consumer-'));
const broker = new Broker(
  { host: '127.0.0.1', port: 0, dataDir, durability: 'async', defaultPartitions: 10 },
  { logger: pino({ level: 'warn' }, pino.destination(2)) },
);
const { port } = await broker.start();
process.stdout.write(`${JSON.stringify({ port })}\n`);
const shutdown = async () => {
  await broker.stop(1000).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
