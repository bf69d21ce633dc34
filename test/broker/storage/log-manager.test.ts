import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidConfigError,
  InvalidPartitionsError,
  InvalidTopicError,
  LogManager,
  TopicExistsError,
  UnknownTopicError,
} from '../../../src/broker/storage/index.js';
import { VirtualClock } from '../../../src/flow/clock.js';
import { batch, rmTemp, tempDir } from './helpers.js';

const dirs: string[] = [];
const managers: LogManager[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  for (const d of dirs.splice(0)) rmTemp(d);
});

async function open(opts: Parameters<typeof LogManager.open>[0] = {}) {
  const m = await LogManager.open(opts);
  managers.push(m);
  return m;
}

describe('LogManager', () => {
  it('creates topics with partitions and configs and restores them after a restart', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const m = await open({ dataDir: dir, clock: new VirtualClock(0) });
    const info = await m.createTopic('orders', 3, { 'retention.ms': '60000', 'sluice.durability': 'sync' });
    expect(info.partitions).toBe(3);
    expect(info.topicId).toMatch(/^[0-9a-f-]{36}$/);
    await m.requireLog('orders', 2).append(await batch(4));
    expect(m.getLog('orders', 3)).toBeUndefined();
    await m.close();
    managers.pop();

    const again = await open({ dataDir: dir, clock: new VirtualClock(0) });
    expect(again.topics().map((t) => [t.name, t.partitions, t.topicId])).toEqual([
      ['orders', 3, info.topicId],
    ]);
    expect(again.topicConfig('orders')).toMatchObject({ retentionMs: 60000, durability: 'sync' });
    expect(again.requireLog('orders', 2).highWatermark).toBe(4n);
    expect(again.requireLog('orders', 2).durability).toBe('sync');
    expect(fs.existsSync(path.join(dir, '.meta', 'orders.json'))).toBe(true);
  });

  it('validates topic names as Kafka does', async () => {
    const m = await open();
    for (const bad of ['', '.', '..', 'a b', 'x/y', 'é', 'a'.repeat(250)]) {
      await expect(m.createTopic(bad, 1)).rejects.toBeInstanceOf(InvalidTopicError);
    }
    await m.createTopic('a'.repeat(249), 1);
    await m.createTopic('Ok_topic-1.x', 1);
    await expect(m.createTopic('Ok_topic-1.x', 1)).rejects.toBeInstanceOf(TopicExistsError);
    await expect(m.createTopic('zero', 0)).rejects.toBeInstanceOf(InvalidPartitionsError);
  });

  it('validates configs with clear errors and alters them live', async () => {
    const m = await open();
    await expect(m.createTopic('t', 1, { 'retention.ms': 'soon' })).rejects.toThrow(/not an integer/);
    await expect(m.createTopic('t', 1, { 'segment.bytes': '1' })).rejects.toThrow(/out of range/);
    await expect(m.createTopic('t', 1, { 'no.such.config': '1' })).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(m.createTopic('t', 1, { 'sluice.durability': 'sync' })).rejects.toThrow(/data directory/);
    await m.createTopic('t', 1, { 'min.insync.replicas': '1', 'cleanup.policy': 'delete' });
    const altered = await m.alterTopicConfigs('t', { 'retention.bytes': '1000' });
    expect(altered.configs).toEqual({
      'min.insync.replicas': '1',
      'cleanup.policy': 'delete',
      'retention.bytes': '1000',
    });
    expect(m.requireLog('t', 0).getConfig().retentionBytes).toBe(1000);
    const described = m.describeTopicConfigs('t');
    expect(described.find((c) => c.name === 'retention.bytes')).toMatchObject({
      value: '1000',
      isDefault: false,
    });
    expect(described.find((c) => c.name === 'segment.bytes')).toMatchObject({
      value: '1073741824',
      isDefault: true,
    });
    await m.alterTopicConfigs('t', { 'retention.bytes': null });
    expect(m.requireLog('t', 0).getConfig().retentionBytes).toBe(-1);
    await m.alterTopicConfigs('t', { 'retention.ms': '5' }, { validateOnly: true });
    expect(m.topicConfig('t').retentionMs).toBe(7 * 24 * 3600_000);
    await expect(m.alterTopicConfigs('nope', {})).rejects.toBeInstanceOf(UnknownTopicError);
  });

  it('adds partitions and deletes topics with their files', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const m = await open({ dataDir: dir });
    await m.createTopic('grow', 1);
    await m.addPartitions('grow', 4);
    expect(m.getTopic('grow')?.partitions).toBe(4);
    await m.requireLog('grow', 3).append(await batch(1));
    await expect(m.addPartitions('grow', 2)).rejects.toBeInstanceOf(InvalidPartitionsError);
    await m.deleteTopic('grow');
    expect(m.hasTopic('grow')).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('grow'))).toEqual([]);
    expect(fs.readdirSync(path.join(dir, '.meta'))).toEqual([]);
    await m.createTopic('grow', 1);
    expect(m.requireLog('grow', 0).highWatermark).toBe(0n);
  });

  it('with no data dir keeps everything in memory and writes no file', async () => {
    const m = await open();
    await m.createTopic('mem', 2);
    await m.requireLog('mem', 1).append(await batch(2));
    expect(m.requireLog('mem', 1).read(0n, 1000).records.length).toBeGreaterThan(0);
    expect(m.stats).toMatchObject({ fsyncs: 0, dirFsyncs: 0, writes: 0 });
    expect(m.dataDir).toBeUndefined();
  });

  it('runs retention in the background on its clock', async () => {
    const clock = new VirtualClock(1_000_000);
    const m = await open({ clock, retentionCheckIntervalMs: 10_000, defaults: { 'segment.bytes': 500 } });
    await m.createTopic('r', 1, { 'retention.ms': '60000' });
    const log = m.requireLog('r', 0);
    for (let i = 0; i < 10; i++) await log.append(await batch(2, { valueBytes: 40, ts: clock.now() }));
    expect(log.logStartOffset).toBe(0n);
    await clock.advance(70_000);
    expect(log.logStartOffset).toBe(20n);
    expect(log.size).toBe(0);
  });
});
