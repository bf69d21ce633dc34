import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeResponse, encodeRequest } from '../../src/protocol/messages.js';
import { RawClient } from '../helpers/raw-client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GROUP = 'crash-group';
const TOPIC = 'crash-topic';
const PARTITIONS = 3;

/**
 * The broker as a separate process, so it can be killed -9: the built CLI when there is a build
 * (npm test builds first), else the sources through tsx.
 */
function startBrokerProcess(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const built = join(ROOT, 'dist', 'cli', 'main.js');
  const entry = existsSync(built)
    ? [join(ROOT, 'bin', 'sluice.js')]
    : ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
  const child = spawn(
    process.execPath,
    [...entry, 'broker', '--port', '0', '--data-dir', dataDir, '--durability', 'sync', '--partitions', '3'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`broker did not start in 20 s\n${out}\n${err}`)), 20_000);
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before listening\n${out}\n${err}`));
    });
  });
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('committed offsets survive kill -9 of the broker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-groups-crash-'));
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const c of children) await killHard(c);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds every acknowledged commit after a restart (durability sync)', async () => {
    const first = await startBrokerProcess(dataDir);
    children.push(first.child);
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${first.port}`],
      clientId: 'crash',
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    await admin.disconnect();

    // A stream of simple commits (OffsetCommit v2, generation -1), several in flight at once; each
    // partition's offset only grows, so the highest acknowledged one is what must survive.
    const client = await RawClient.open(first.port);
    const acked = new Array<number>(PARTITIONS).fill(-1);
    const sent = new Array<number>(PARTITIONS).fill(-1);
    let correlation = 0;
    let answered = 0;
    const inFlight = 8;
    let killed = false;
    const killAfter = 150;
    const pending = new Map<number, { partition: number; offset: number }>();
    const sendOne = async () => {
      const id = ++correlation;
      const partition = id % PARTITIONS;
      const offset = id;
      sent[partition] = offset;
      pending.set(id, { partition, offset });
      await client.write(
        encodeRequest(8, 2, id, 'crash', {
          groupId: GROUP,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          retentionTimeMs: -1n,
          topics: [
            {
              name: TOPIC,
              partitions: [
                { partitionIndex: partition, committedOffset: BigInt(offset), committedMetadata: '' },
              ],
            },
          ],
        }),
      );
    };
    for (let i = 0; i < inFlight; i++) await sendOne();
    while (!killed) {
      try {
        await client.waitForFrames(answered + 1, 10_000);
      } catch {
        break;
      }
      const { correlationId, body } = decodeResponse(8, 2, client.frames[answered++]);
      const c = pending.get(correlationId)!;
      pending.delete(correlationId);
      expect(body.topics[0].partitions[0].errorCode).toBe(0);
      acked[c.partition] = Math.max(acked[c.partition], c.offset);
      if (answered === killAfter) {
        // Kill with commits still in flight: their fate is open, the acknowledged ones are not.
        await killHard(first.child);
        killed = true;
      } else {
        await sendOne();
      }
    }
    client.close();
    expect(killed).toBe(true);
    expect(acked.every((o) => o > 0)).toBe(true);

    const second = await startBrokerProcess(dataDir);
    children.push(second.child);
    const admin2 = new Kafka({
      brokers: [`127.0.0.1:${second.port}`],
      clientId: 'check',
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin2.connect();
    const [fetched] = await admin2.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    await admin2.disconnect();
    const recovered = fetched.partitions
      .sort((a, b) => a.partition - b.partition)
      .map((p) => Number(p.offset));
    for (let p = 0; p < PARTITIONS; p++) {
      expect(recovered[p], `partition ${p}`).toBeGreaterThanOrEqual(acked[p]);
      expect(recovered[p], `partition ${p}`).toBeLessThanOrEqual(sent[p]);
    }
    await killHard(second.child);
  }, 60_000);
});
