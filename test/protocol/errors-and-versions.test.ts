import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiKey, apiName, apiVersionsList, COMPAT_NOTES_VERSIONS } from '../../src/protocol/api-keys.js';
import { ErrorCode, errorName, isRetriable, KafkaProtocolError } from '../../src/protocol/errors.js';
import { describedVersions, isFlexibleVersion } from '../../src/protocol/messages.js';
import { advertisedVersions } from '../helpers/broker.js';

// The one source of truth: what the broker's handler registry serves (group APIs included).
const ADVERTISED = await advertisedVersions();

describe('error codes', () => {
  it('names codes the way Kafka does, and says so for codes it does not know', () => {
    expect(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).toBe(3);
    expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35);
    expect(ErrorCode.MEMBER_ID_REQUIRED).toBe(79);
    expect(errorName(-1)).toBe('UNKNOWN_SERVER_ERROR');
    expect(errorName(27)).toBe('REBALANCE_IN_PROGRESS');
    expect(errorName(100)).toBe('UNKNOWN_TOPIC_ID');
    expect(errorName(9999)).toBe('UNKNOWN_ERROR_CODE_9999');
    // Every code from -1 to 100 except 99 (never assigned) has a name.
    for (let code = -1; code <= 100; code++) {
      if (code === 99) continue;
      expect(errorName(code)).not.toMatch(/^UNKNOWN_ERROR_CODE/);
    }
  });

  it('marks retriable what a client may simply retry', () => {
    expect(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(true);
    expect(isRetriable(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)).toBe(true);
    expect(isRetriable(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)).toBe(true);
    expect(isRetriable(ErrorCode.TOPIC_ALREADY_EXISTS)).toBe(false);
    expect(isRetriable(ErrorCode.NONE)).toBe(false);
    expect(isRetriable(ErrorCode.UNKNOWN_SERVER_ERROR)).toBe(false);
  });

  it('KafkaProtocolError carries the code, its name and the advice', () => {
    const err = new KafkaProtocolError(
      ErrorCode.TOPIC_ALREADY_EXISTS,
      'topic "orders" exists; use it, or delete it first to recreate it',
    );
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(36);
    expect(err.retriable).toBe(false);
    expect(err.message).toBe(
      'TOPIC_ALREADY_EXISTS (36): topic "orders" exists; use it, or delete it first to recreate it',
    );
  });
});

describe('the advertised version table', () => {
  it('keeps the old minimums real clients gate features on', () => {
    // librdkafka 2.0.2 enables consumer groups only if v0 of these overlaps.
    for (const key of [
      ApiKey.JoinGroup,
      ApiKey.SyncGroup,
      ApiKey.Heartbeat,
      ApiKey.LeaveGroup,
      ApiKey.FindCoordinator,
    ]) {
      expect(ADVERTISED[key].min, apiName(key)).toBe(0);
    }
    // librdkafka compresses with gzip/snappy/lz4 only if Produce v0 is in range (lz4 also needs
    // FindCoordinator v0, checked above). Burrow sends ListOffsets v0 and Metadata v0.
    expect(ADVERTISED[ApiKey.Produce].min).toBe(0);
    expect(ADVERTISED[ApiKey.Fetch].min).toBeLessThanOrEqual(4);
    expect(ADVERTISED[ApiKey.ListOffsets].min).toBe(0);
    expect(ADVERTISED[ApiKey.Metadata].min).toBe(0);
    expect(ADVERTISED[ApiKey.OffsetCommit].min).toBeLessThanOrEqual(1);
    expect(ADVERTISED[ApiKey.OffsetFetch].min).toBeLessThanOrEqual(1);
  });

  it('reaches the flexible versions @platformatic/kafka 1.x implements, and nothing the codec cannot describe', () => {
    const needs: Array<[number, number]> = [
      [ApiKey.Metadata, 9],
      [ApiKey.Fetch, 12],
      [ApiKey.CreateTopics, 7],
      [ApiKey.DeleteTopics, 6],
      [ApiKey.DescribeConfigs, 3],
      [ApiKey.FindCoordinator, 4],
      [ApiKey.JoinGroup, 6],
      [ApiKey.SyncGroup, 4],
      [ApiKey.Heartbeat, 4],
      [ApiKey.LeaveGroup, 4],
      [ApiKey.OffsetCommit, 9],
    ];
    for (const [key, version] of needs)
      expect(ADVERTISED[key].max, apiName(key)).toBeGreaterThanOrEqual(version);
    for (const [keyText, range] of Object.entries(ADVERTISED)) {
      const key = Number(keyText);
      const described = describedVersions(key);
      expect(described, apiName(key)).not.toBeNull();
      expect(range.min).toBeGreaterThanOrEqual(described!.min);
      expect(range.max).toBeLessThanOrEqual(described!.max);
    }
    expect(isFlexibleVersion(ApiKey.Metadata, ADVERTISED[ApiKey.Metadata].max)).toBe(true);
  });

  it("covers every range of the compatibility notes' minimum table", () => {
    for (const [keyText, floor] of Object.entries(COMPAT_NOTES_VERSIONS)) {
      const key = Number(keyText);
      const range = ADVERTISED[key];
      expect(range, apiName(key)).toBeDefined();
      expect(range.min, apiName(key)).toBeLessThanOrEqual(floor.min);
      expect(range.max, apiName(key)).toBeGreaterThanOrEqual(floor.max);
    }
  });

  it('is the table docs/compatibility.md states, row for row', () => {
    const doc = readFileSync(new URL('../../docs/compatibility.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Version table the broker advertises'));
    const rows = [...section.matchAll(/^\| ([A-Za-z]+) \((\d+)\)\s*\| (\d+)–(\d+)\s*\|/gm)].map((m) => ({
      name: m[1],
      key: Number(m[2]),
      min: Number(m[3]),
      max: Number(m[4]),
    }));
    const actual = Object.entries(ADVERTISED).map(([key, r]) => ({
      name: apiName(Number(key)),
      key: Number(key),
      min: r.min,
      max: r.max,
    }));
    expect(rows.sort((a, b) => a.key - b.key)).toEqual(actual.sort((a, b) => a.key - b.key));
  });

  it('lists the table sorted by key for the ApiVersions answer', () => {
    const list = apiVersionsList(ADVERTISED);
    expect(list.map((e) => e.apiKey)).toEqual([...list.map((e) => e.apiKey)].sort((a, b) => a - b));
    expect(list).toContainEqual({ apiKey: ApiKey.Produce, minVersion: 0, maxVersion: 11 });
    expect(apiName(ApiKey.DescribeConfigs)).toBe('DescribeConfigs');
    expect(apiName(999)).toBe('ApiKey(999)');
  });
});
