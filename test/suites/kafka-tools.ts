import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiName } from '../../src/protocol/api-keys.js';
import { waitFor } from '../helpers/burrow.js';
import { kafkaCli } from '../helpers/kafka.js';
import type { RunResult } from '../helpers/run.js';
import { type Target, uniqueName } from '../helpers/targets.js';

/**
 * Kafka's own command-line tools, unchanged (the pinned release's main classes, with the arguments
 * scripts/kafka/kafka-tool.sh would pass; kafkaCli runs them in the test process's warm tool runner),
 * against a broker: every command issue #14 lists, each asserted on its output. The same suite runs on
 * the embedded broker (test/compat/kafka-tools.test.ts) and on a Kafka node of the rig
 * (test/kafka/kafka-tools.test.ts), which proves the expected outputs are Kafka's.
 */
export function kafkaToolsSuite(target: Target): void {
  const bootstrap = () => target().bootstrap;
  /** A tool run against the target; the tools that name the broker otherwise get their own flag. */
  const tool = (name: string, args: string[], opts: { input?: string; allowFailure?: boolean } = {}) =>
    kafkaCli(name, ['--bootstrap-server', bootstrap(), ...args], opts);
  const topics = (...args: string[]) => tool('kafka-topics', args);
  const configs = (...args: string[]) => tool('kafka-configs', args);
  const groups = (...args: string[]) => tool('kafka-consumer-groups', args);
  const offsets = (topic: string, time: string) =>
    tool('kafka-get-offsets', ['--topic', topic, '--time', time]).then((r) => lines(r.stdout));
  /** Kafka applies admin changes a moment after answering; the embedded broker at once. */
  const eventually = <T>(what: string, probe: () => Promise<T | undefined>) => waitFor(what, probe, 20_000);

  const createTopic = (topic: string, extra: string[] = []): Promise<RunResult> =>
    topics('--create', '--topic', topic, '--partitions', '1', ...extra);

  describe('Kafka command-line tools', { timeout: 180_000 }, () => {
    it('kafka-broker-api-versions lists every API with the range the broker advertises', async () => {
      const { stdout } = await tool('kafka-broker-api-versions', []);
      const [header] = lines(stdout);
      expect(header).toMatch(/^127\.0\.0\.1:\d+ \(id: \d+ rack: null isFenced: false\) -> \($/);
      const printed = advertisedRanges(stdout);
      // What the tools below need is served, by both brokers.
      for (const key of [
        0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 20, 21, 32, 35, 37, 42, 44, 47, 60,
      ]) {
        expect(printed.get(key), apiName(key)).toBeDefined();
      }
      const embedded = target().embedded;
      // ApiVersions answers the truth: the tool prints exactly the embedded broker's handler table.
      if (embedded) {
        const table = embedded.broker.versionTable();
        expect(new Map(Object.entries(table).map(([k, r]) => [Number(k), [r.min, r.max]]))).toEqual(printed);
      }
    });

    it('kafka-topics: create with configs, list, describe, alter --partitions, delete', async () => {
      const topic = uniqueName('tools-topic');
      const created = await createTopic(topic, [
        '--config',
        'retention.ms=12345',
        '--config',
        'cleanup.policy=delete',
      ]);
      expect(created.stdout.trim()).toBe(`Created topic ${topic}.`);
      expect(lines((await topics('--list')).stdout)).toContain(topic);
      const described = lines((await topics('--describe', '--topic', topic)).stdout);
      // Kafka prints the topic id; the embedded broker serves Metadata up to v9, which carries none
      // (docs/compatibility.md, Metadata row), so kafka-topics leaves the field out.
      const topicId = target().kind === 'kafka' ? 'TopicId: [\\w-]{22}\\t' : '';
      expect(described[0]).toMatch(
        new RegExp(`^Topic: ${topic}\\t${topicId}PartitionCount: 1\\tReplicationFactor: 1\\tConfigs: .*`),
      );
      expect(described[0]).toContain('cleanup.policy=delete');
      expect(described[0]).toContain('retention.ms=12345');
      expect(described[1]).toMatch(
        new RegExp(`^\\tTopic: ${topic}\\tPartition: 0\\tLeader: \\d+\\tReplicas: \\d+\\tIsr: \\d+`),
      );
      expect((await topics('--alter', '--topic', topic, '--partitions', '3')).stdout.trim()).toBe('');
      await eventually('three partitions described', async () => {
        const text = (await topics('--describe', '--topic', topic)).stdout;
        return text.includes('PartitionCount: 3') && lines(text).length === 4 ? true : undefined;
      });
      await topics('--delete', '--topic', topic);
      await eventually(`${topic} gone from --list`, async () =>
        lines((await topics('--list')).stdout).includes(topic) ? undefined : true,
      );
    });

    it('kafka-configs for a topic: describe, --add-config retention.ms and another, --delete-config', async () => {
      const topic = uniqueName('tools-configs');
      await createTopic(topic, ['--config', 'retention.ms=12345']);
      const entity = ['--entity-type', 'topics', '--entity-name', topic];
      const describe = async () => lines((await configs('--describe', ...entity)).stdout);
      expect(await describe()).toEqual([
        `Dynamic configs for topic ${topic} are:`,
        '  retention.ms=12345 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=12345}',
      ]);
      const added = await configs(
        '--alter',
        ...entity,
        '--add-config',
        'retention.ms=5000,segment.bytes=1048576',
      );
      expect(added.stdout.trim()).toBe(`Completed updating config for topic ${topic}.`);
      const both = await eventually('both configs described', async () => {
        const now = await describe();
        return now.length === 3 ? now : undefined;
      });
      expect(both[1]).toBe(
        '  retention.ms=5000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=5000}',
      );
      // Kafka adds the broker default (log.segment.bytes) to the synonyms; the topic's own value leads.
      expect(both[2]).toMatch(
        /^ {2}segment\.bytes=1048576 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:segment\.bytes=1048576/,
      );
      const deleted = await configs('--alter', ...entity, '--delete-config', 'segment.bytes');
      expect(deleted.stdout.trim()).toBe(`Completed updating config for topic ${topic}.`);
      await eventually('segment.bytes deleted', async () =>
        (await describe()).length === 2 ? true : undefined,
      );
    });

    it('kafka-configs for the broker: the cluster default and one broker, added, described and deleted', async () => {
      const id = brokerId((await tool('kafka-broker-api-versions', [])).stdout);
      // log.retention.bytes of 1 TiB: a real dynamic config that deletes nothing other tests keep.
      const value = String(2 ** 40);
      const synonym = (source: string) => `${source}:log.retention.bytes=${value}`;
      const entry = `  log.retention.bytes=${value} sensitive=false synonyms={`;
      // This broker's value, then the cluster default it overrides (Kafka goes on with the built-in default).
      const ownLine = `${entry}${synonym('DYNAMIC_BROKER_CONFIG')}, ${synonym('DYNAMIC_DEFAULT_BROKER_CONFIG')}`;
      const defaultLine = `${entry}${synonym('DYNAMIC_DEFAULT_BROKER_CONFIG')}}`;
      const clusterDefault = ['--entity-type', 'brokers', '--entity-default'];
      const oneBroker = ['--entity-type', 'brokers', '--entity-name', id];
      expect(
        (
          await configs('--alter', ...clusterDefault, '--add-config', `log.retention.bytes=${value}`)
        ).stdout.trim(),
      ).toBe('Completed updating default config for brokers in the cluster.');
      expect(
        (
          await configs('--alter', ...oneBroker, '--add-config', `log.retention.bytes=${value}`)
        ).stdout.trim(),
      ).toBe(`Completed updating config for broker ${id}.`);
      const described = await eventually('both broker configs described', async () => {
        const text = lines((await configs('--describe', '--entity-type', 'brokers')).stdout);
        return text.some((l) => l.startsWith(ownLine)) && text.includes(defaultLine) ? text : undefined;
      });
      expect(described).toContain(`Dynamic configs for broker ${id} are:`);
      expect(described).toContain('Default configs for brokers in the cluster are:');
      await configs('--alter', ...clusterDefault, '--delete-config', 'log.retention.bytes');
      await configs('--alter', ...oneBroker, '--delete-config', 'log.retention.bytes');
      await eventually('broker configs deleted', async () => {
        const text = (await configs('--describe', '--entity-type', 'brokers')).stdout;
        return text.includes('log.retention.bytes') ? undefined : true;
      });
    });

    it('console producer and consumer: keys, headers, --from-beginning, --group; consumer groups list and describe', async () => {
      const topic = uniqueName('tools-console');
      const group = uniqueName('tools-console-group');
      await createTopic(topic);
      await tool(
        'kafka-console-producer',
        ['--topic', topic, '--property', 'parse.key=true', '--property', 'parse.headers=true'],
        {
          input: 'h1:x,h2:y\tk1\tv1\nh1:z\tk2\tv2\n',
        },
      );
      const consumed = await tool('kafka-console-consumer', [
        ...['--topic', topic, '--from-beginning', '--group', group, '--max-messages', '2'],
        ...['--property', 'print.key=true', '--property', 'print.headers=true'],
      ]);
      expect(lines(consumed.stdout)).toEqual(['h1:x,h2:y\tk1\tv1', 'h1:z\tk2\tv2']);
      expect(consumed.stderr).toContain('Processed a total of 2 messages');
      expect(lines((await groups('--list')).stdout)).toContain(group);
      const described = await groups('--describe', '--group', group);
      expect(described.stderr).toContain(`Consumer group '${group}' has no active members.`);
      expect(rows(described.stdout, group)).toEqual([[group, topic, '0', '2', '2', '0', '-', '-', '-']]);
    });

    it('kafka-consumer-groups: members and state of an active group; --delete-offsets refused for its topic', async () => {
      const topic = uniqueName('tools-active');
      const group = uniqueName('tools-active-group');
      await createTopic(topic);
      await tool('kafka-console-producer', ['--topic', topic], { input: 'a\nb\n' });
      // Reads the two records, then waits for a third while the checks below look at the live group.
      const consumer = tool('kafka-console-consumer', [
        '--topic',
        topic,
        '--from-beginning',
        '--group',
        group,
        '--max-messages',
        '3',
      ]);
      const members = await eventually('one member with the partition', async () => {
        const found = rows((await groups('--describe', '--group', group, '--members')).stdout, group);
        return found.length === 1 && found[0][4] === '1' ? found : undefined;
      });
      expect(members[0][1]).toMatch(/^console-consumer-/);
      expect(members[0][2]).toMatch(/^\/127\.0\.0\.1$/);
      const state = rows((await groups('--describe', '--group', group, '--state')).stdout, group);
      expect(state[0].slice(3)).toEqual(['range', 'Stable', '1']);
      const refused = await groups('--delete-offsets', '--group', group, '--topic', topic);
      expect(lines(refused.stdout)).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^${topic}\\s+0\\s+Error: org\\.apache\\.kafka\\.common\\.errors\\.GroupSubscribedToTopicException: ` +
              'Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it\\.$',
          ),
        ),
      );
      await tool('kafka-console-producer', ['--topic', topic], { input: 'c\n' });
      expect(lines((await consumer).stdout)).toEqual(['a', 'b', 'c']);
    });

    it('kafka-consumer-groups --reset-offsets: earliest (dry run, then execute), shift-by, datetime, latest; --delete-offsets, --delete', async () => {
      const topic = uniqueName('tools-reset');
      const group = uniqueName('tools-reset-group');
      await createTopic(topic);
      await tool('kafka-console-producer', ['--topic', topic], { input: 'a\nb\n' });
      const between = Date.now() + 1;
      await waitFor(
        'the clock to pass the first records',
        async () => (Date.now() > between ? true : undefined),
        1_000,
      );
      await tool('kafka-console-producer', ['--topic', topic], { input: 'c\nd\n' });
      await tool('kafka-console-consumer', [
        '--topic',
        topic,
        '--from-beginning',
        '--group',
        group,
        '--max-messages',
        '4',
      ]);
      const reset = async (...how: string[]) =>
        rows((await groups('--reset-offsets', '--group', group, '--topic', topic, ...how)).stdout, group).map(
          (r) => r[3],
        );
      const committed = async () => rows((await groups('--describe', '--group', group)).stdout, group)[0][3];
      expect(await reset('--to-earliest', '--dry-run')).toEqual(['0']);
      expect(await committed()).toBe('4');
      expect(await reset('--to-earliest', '--execute')).toEqual(['0']);
      expect(await committed()).toBe('0');
      expect(await reset('--shift-by', '3', '--execute')).toEqual(['3']);
      expect(
        await reset('--to-datetime', new Date(between).toISOString().replace(/Z$/, '+00:00'), '--execute'),
      ).toEqual(['2']);
      expect(await reset('--to-latest', '--execute')).toEqual(['4']);
      expect(await committed()).toBe('4');
      const deletedOffsets = await groups('--delete-offsets', '--group', group, '--topic', topic);
      expect(rows(deletedOffsets.stdout, topic)).toEqual([[topic, '0', 'Successful']]);
      expect((await groups('--delete', '--group', group)).stdout).toContain(
        `Deletion of requested consumer groups ('${group}') was successful.`,
      );
      expect(lines((await groups('--list')).stdout)).not.toContain(group);
    });

    it('kafka-delete-records moves the log start: kafka-get-offsets and the console consumer honour it', async () => {
      const topic = uniqueName('tools-delete');
      await createTopic(topic);
      await tool('kafka-console-producer', ['--topic', topic], { input: 'a\nb\nc\nd\n' });
      const file = join(tmpdir(), `${topic}.json`);
      writeFileSync(file, JSON.stringify({ partitions: [{ topic, partition: 0, offset: 2 }], version: 1 }));
      const deleted = await tool('kafka-delete-records', ['--offset-json-file', file]);
      expect(lines(deleted.stdout)).toContain(`partition: ${topic}-0\tlow_watermark: 2`);
      expect(await offsets(topic, 'earliest')).toEqual([`${topic}:0:2`]);
      expect(await offsets(topic, 'latest')).toEqual([`${topic}:0:4`]);
      const rest = await tool('kafka-console-consumer', [
        '--topic',
        topic,
        '--from-beginning',
        '--max-messages',
        '2',
      ]);
      expect(lines(rest.stdout)).toEqual(['c', 'd']);
    });

    it('kafka-get-offsets --time max-timestamp, and kafka-log-dirs --describe with the partition sizes', async () => {
      const topic = uniqueName('tools-logdirs');
      await createTopic(topic);
      await tool('kafka-console-producer', ['--topic', topic, '--property', 'parse.key=true'], {
        input: 'k1\tfirst\nk2\tsecond\n',
      });
      const [max] = await offsets(topic, 'max-timestamp');
      expect(max).toMatch(new RegExp(`^${topic}:0:[01]$`));
      const { stdout } = await tool('kafka-log-dirs', ['--describe', '--topic-list', topic]);
      expect(lines(stdout).slice(0, 2)).toEqual([
        'Querying brokers for log directories information',
        expect.stringMatching(/^Received log directory information from brokers \d+$/),
      ]);
      const report = JSON.parse(lines(stdout)[2]) as LogDirsReport;
      expect(report.version).toBe(1);
      const partitions = report.brokers.flatMap((b) => b.logDirs.flatMap((d) => d.partitions));
      expect(partitions).toEqual([
        { partition: `${topic}-0`, size: expect.any(Number), offsetLag: 0, isFuture: false },
      ]);
      expect(partitions[0].size).toBeGreaterThan('firstsecond'.length);
      const embedded = target().embedded;
      if (embedded) expect(partitions[0].size).toBe(embedded.broker.store.partition(topic, 0)?.sizeBytes);
    });

    it('a keyless record on a compacted topic fails with INVALID_RECORD; only its batch-mates fail with it', async () => {
      const topic = uniqueName('tools-compacted');
      await createTopic(topic, ['--config', 'cleanup.policy=compact']);
      const sent = await tool(
        'kafka-console-producer',
        ['--topic', topic, '--property', 'parse.key=true', '--property', 'ignore.error=true'],
        { input: 'k1\tv1\nno-key\nk2\tv2\n' },
      );
      expect(sent.stderr).toContain(
        `InvalidRecordException: Compacted topic cannot accept message without key in topic partition ${topic}-0`,
      );
      // The broker refuses the keyless record's whole batch, naming that record (record_errors): the
      // producer fails it with the broker's message and its batch-mates with another. How the producer
      // batched the three lines varies; every keyed record is either stored or such a batch-mate.
      const mates = sent.stderr.split('part of a batch which had one more more invalid records').length - 1;
      const [latest] = await offsets(topic, 'latest');
      const stored = Number(latest.split(':')[2]);
      expect(stored + mates).toBe(2);
      if (stored > 0) {
        const kept = await tool('kafka-console-consumer', [
          ...[
            '--topic',
            topic,
            '--from-beginning',
            '--max-messages',
            String(stored),
            '--property',
            'print.key=true',
          ],
        ]);
        for (const line of lines(kept.stdout)) expect(['k1\tv1', 'k2\tv2']).toContain(line);
      }
    });

    it('kafka-producer-perf-test and kafka-consumer-perf-test move every record', async () => {
      const topic = uniqueName('tools-perf');
      await createTopic(topic);
      const produced = await kafkaCli('kafka-producer-perf-test', [
        ...['--topic', topic, '--num-records', '2000', '--record-size', '100', '--throughput', '-1'],
        ...['--producer-props', `bootstrap.servers=${bootstrap()}`, 'acks=all'],
      ]);
      expect(lines(produced.stdout).at(-1)).toMatch(/^2000 records sent, [\d.]+ records\/sec /);
      expect(await offsets(topic, 'latest')).toEqual([`${topic}:0:2000`]);
      const consumed = await tool('kafka-consumer-perf-test', ['--topic', topic, '--messages', '2000']);
      const [header, row] = lines(consumed.stdout).slice(-2);
      const column = header.split(', ').indexOf('data.consumed.in.nMsg');
      expect(column).toBeGreaterThan(0);
      expect(row.split(', ')[column]).toBe('2000');
    });
  });
}

interface LogDirsReport {
  version: number;
  brokers: Array<{
    broker: number;
    logDirs: Array<{
      logDir: string;
      error: string | null;
      partitions: Array<{ partition: string; size: number; offsetLag: number; isFuture: boolean }>;
    }>;
  }>;
}

/** Non-empty output lines, without trailing spaces. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
}

/** Table rows whose first cell is `first`, split on runs of spaces (kafka-consumer-groups' tables). */
function rows(text: string, first: string): string[][] {
  return lines(text)
    .map((l) => l.trim().split(/\s+/))
    .filter((cells) => cells[0] === first);
}

/** The broker id in kafka-broker-api-versions' header, "host:port (id: N rack: …". */
function brokerId(apiVersionsOutput: string): string {
  const id = /\(id: (\d+) /.exec(apiVersionsOutput)?.[1];
  if (id === undefined) throw new Error(`no broker id in:\n${apiVersionsOutput}`);
  return id;
}

/** key → [min, max] for every API kafka-broker-api-versions prints as served ("Name(key): 0 to 7 [usable: 7]"). */
function advertisedRanges(text: string): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const m of text.matchAll(/^\t\w+\((\d+)\): (\d+)(?: to (\d+))? \[usable: \d+\]/gm)) {
    out.set(Number(m[1]), [Number(m[2]), Number(m[3] ?? m[2])]);
  }
  return out;
}
