import { describe, expect, it } from 'vitest';
import { ApiKey, apiName, apiVersionsList, SUPPORTED_VERSIONS } from '../../src/protocol/api-keys.js';
import { describedVersions, isFlexibleVersion } from '../../src/protocol/codec.js';
import { ErrorCode, errorName, isRetriable, KafkaProtocolError } from '../../src/protocol/errors.js';

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
      expect(SUPPORTED_VERSIONS[key].min).toBe(0);
    }
    // MsgVer2 needs Produce 3 and Fetch 4 in range; Burrow sends ListOffsets v0 and Metadata v0.
    expect(SUPPORTED_VERSIONS[ApiKey.Produce].min).toBeLessThanOrEqual(3);
    expect(SUPPORTED_VERSIONS[ApiKey.Fetch].min).toBeLessThanOrEqual(4);
    expect(SUPPORTED_VERSIONS[ApiKey.ListOffsets].min).toBe(0);
    expect(SUPPORTED_VERSIONS[ApiKey.Metadata].min).toBe(0);
    expect(SUPPORTED_VERSIONS[ApiKey.OffsetCommit].min).toBeLessThanOrEqual(2);
    expect(SUPPORTED_VERSIONS[ApiKey.OffsetFetch].min).toBeLessThanOrEqual(1);
  });

  it('advertises only versions the codec describes, and nothing flexible except ApiVersions v3', () => {
    for (const [keyText, range] of Object.entries(SUPPORTED_VERSIONS)) {
      const key = Number(keyText);
      const described = describedVersions(key);
      expect(described, apiName(key)).not.toBeNull();
      expect(range.min).toBeGreaterThanOrEqual(described!.min);
      expect(range.max).toBeLessThanOrEqual(described!.max);
      for (let v = range.min; v <= range.max; v++) {
        expect(isFlexibleVersion(key, v), `${apiName(key)} v${v}`).toBe(key === ApiKey.ApiVersions && v >= 3);
      }
    }
  });

  it('lists the table sorted by key for the ApiVersions answer', () => {
    const list = apiVersionsList();
    expect(list.map((e) => e.apiKey)).toEqual([...list.map((e) => e.apiKey)].sort((a, b) => a - b));
    expect(list).toContainEqual({ apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 7 });
    expect(apiName(ApiKey.DescribeConfigs)).toBe('DescribeConfigs');
    expect(apiName(999)).toBe('ApiKey(999)');
  });
});
