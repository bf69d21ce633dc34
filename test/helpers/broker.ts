import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Broker } from '../../src/broker/broker.js';
import type { BrokerOptions } from '../../src/broker/config.js';

export interface TestBroker {
  broker: Broker;
  port: number;
  /** host:port for clients. */
  bootstrap: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Starts a broker in-process on 127.0.0.1 and a free port, with its data in a fresh temp directory
 * that stop() removes. Logs are silent unless SLUICE_TEST_LOG names a pino level.
 */
export async function startTestBroker(options: BrokerOptions = {}): Promise<TestBroker> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sluice-broker-test-'));
  const ownsDir = options.dataDir === undefined;
  const broker = new Broker(
    { host: '127.0.0.1', port: 0, dataDir, ...options },
    { logger: pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' }) },
  );
  try {
    const { port } = await broker.start();
    let stopped = false;
    return {
      broker,
      port,
      bootstrap: `127.0.0.1:${port}`,
      dataDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await broker.stop(2_000);
        } finally {
          if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
