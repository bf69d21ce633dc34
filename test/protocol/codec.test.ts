import { describe, expect, it } from 'vitest';
import { ApiKey, COMPAT_NOTES_VERSIONS } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import {
  decodeRequest,
  decodeRequestBody,
  decodeRequestHeader,
  decodeResponse,
  encodeApiVersionsFallback,
  encodeRequest,
  encodeResponse,
  encodeResponseChunks,
  ProtocolDecodeError,
  requestBody,
} from '../../src/protocol/messages.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('request header', () => {
  it('reads header v1 (client id as int16 string) for a non-flexible request', () => {
    // Metadata v0, correlation 7, client "ab", body: topics [] (int32 0)
    const frame = hex('0003 0000 00000007 0002 6162 00000000');
    expect(decodeRequestHeader(frame)).toEqual({
      apiKey: 3,
      apiVersion: 0,
      correlationId: 7,
      clientId: 'ab',
      headerVersion: 1,
      bodyOffset: 12,
    });
    expect(decodeRequest(frame).body).toEqual({
      topics: [],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
  });

  it('reads header v2 for ApiVersions v3: int16 client id, then a tag buffer, then a compact body', () => {
    // client id null (-1), empty tag buffer, body: compact "kcat" "1.7", empty tags
    const frame = hex('0012 0003 00000001 ffff 00 05 6b636174 04 312e37 00');
    const decoded = decodeRequest(frame);
    expect(decoded.header).toMatchObject({
      apiKey: 18,
      apiVersion: 3,
      clientId: null,
      headerVersion: 2,
      bodyOffset: 11,
    });
    expect(requestBody(decoded, ApiKey.ApiVersions)).toEqual({
      clientSoftwareName: 'kcat',
      clientSoftwareVersion: '1.7',
    });
  });
});

describe('response framing', () => {
  it('answers ApiVersions v3 with header v0 (no tag buffer) and a compact body', () => {
    const out = encodeResponse(ApiKey.ApiVersions, 3, 9, {
      errorCode: 0,
      apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 7 }],
      throttleTimeMs: 0,
    });
    // size, correlation id, error, compact array of 1 (=2), key/min/max + tags, throttle, tags
    expect(out.toString('hex')).toBe(
      '00000013' + '00000009' + '0000' + '02' + '0000' + '0003' + '0007' + '00' + '00000000' + '00',
    );
  });

  it('leaves out a tagged struct that holds its default, as Kafka does (Produce v10 current_leader)', () => {
    const partition = { index: 0, errorCode: 0, baseOffset: 5n, logAppendTimeMs: -1n, logStartOffset: 0n };
    const body = (extra: object) => ({
      responses: [
        { name: 't', partitionResponses: [{ ...partition, recordErrors: [], errorMessage: null, ...extra }] },
      ],
      throttleTimeMs: 0,
    });
    const without = encodeResponse(ApiKey.Produce, 10, 1, body({}) as never);
    const withDefault = encodeResponse(
      ApiKey.Produce,
      10,
      1,
      body({ currentLeader: { leaderId: -1, leaderEpoch: -1 } }) as never,
    );
    // Kafka 4.1 answers exactly `without` (test/fixtures/golden: confluent-kafka Produce v10).
    expect(withDefault.toString('hex')).toBe(without.toString('hex'));
    const set = encodeResponse(
      ApiKey.Produce,
      10,
      1,
      body({ currentLeader: { leaderId: 1, leaderEpoch: -1 } }) as never,
    );
    expect(set.length).toBeGreaterThan(without.length);
  });

  it('writes response header v1 (tag buffer) for flexible versions of other APIs', () => {
    const out = encodeResponse(ApiKey.Heartbeat, 4, 5, { throttleTimeMs: 0, errorCode: 27 });
    expect(out.toString('hex')).toBe('0000000c' + '00000005' + '00' + '00000000' + '001b' + '00');
    expect(decodeResponse(ApiKey.Heartbeat, 4, out.subarray(4))).toEqual({
      correlationId: 5,
      body: { throttleTimeMs: 0, errorCode: 27 },
    });
  });

  it('encodes the UNSUPPORTED_VERSION fallback for ApiVersions in v0 layout with the supported list', () => {
    const out = encodeApiVersionsFallback(123, COMPAT_NOTES_VERSIONS);
    const { correlationId, body } = decodeResponse(ApiKey.ApiVersions, 0, out.subarray(4));
    expect(correlationId).toBe(123);
    expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body.apiKeys).toContainEqual({ apiKey: 18, minVersion: 0, maxVersion: 3 });
    expect(body.apiKeys).toHaveLength(Object.keys(COMPAT_NOTES_VERSIONS).length);
    // v0 layout: int16 error then int32 array count right after the correlation id.
    expect(out.readInt16BE(8)).toBe(35);
    expect(out.readInt32BE(10)).toBe(body.apiKeys.length);
  });

  it('writes nullable strings as -1 and empty record sets as length 0, not null', () => {
    const frame = encodeRequest(ApiKey.Produce, 3, 1, null, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.alloc(0) }] }],
    });
    expect(frame.subarray(4).toString('hex')).toBe(
      '0000' +
        '0003' +
        '00000001' +
        'ffff' +
        'ffff' +
        'ffff' +
        '000003e8' +
        '00000001' +
        '0001' +
        '74' +
        '00000001' +
        '00000000' +
        '00000000',
    );
  });

  it('keeps records as a view of the frame (zero copy)', () => {
    const records = Buffer.from('batch-bytes');
    const frame = encodeRequest(ApiKey.Produce, 7, 1, 'c', {
      transactionalId: null,
      acks: 1,
      timeoutMs: 30000,
      topicData: [{ name: 't', partitionData: [{ index: 2, records }] }],
    }).subarray(4);
    const body = requestBody(decodeRequest(frame), ApiKey.Produce);
    const got = body.topicData[0].partitionData[0].records!;
    expect(got.equals(records)).toBe(true);
    expect(got.buffer).toBe(frame.buffer);
  });

  it('fills defaults for fields a version does not have', () => {
    const frame = encodeRequest(ApiKey.Fetch, 4, 1, 'c', {
      maxWaitMs: 500,
      minBytes: 1,
      topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 5n, partitionMaxBytes: 1024 }] }],
    }).subarray(4);
    const body = requestBody(decodeRequest(frame), ApiKey.Fetch);
    expect(body.replicaId).toBe(-1);
    expect(body.maxBytes).toBe(2147483647);
    expect(body.sessionEpoch).toBe(-1);
    expect(body.rackId).toBe('');
    expect(body.topics[0].partitions[0].logStartOffset).toBe(-1n);
  });
});

describe('zero-copy response chunks', () => {
  const big = Buffer.alloc(40_000, 7);
  const small = Buffer.from('tiny');
  const partition = (index: number, records: Buffer | null) => ({
    partitionIndex: index,
    errorCode: 0,
    highWatermark: 10n,
    lastStableOffset: 10n,
    logStartOffset: 0n,
    abortedTransactions: [],
    preferredReadReplica: -1,
    records,
  });
  const body = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 't',
        partitions: [partition(0, big), partition(1, small), partition(2, null), partition(3, big)],
      },
    ],
  };

  it.each([11, 12])(
    'Fetch v%i: concatenated chunks equal the single-buffer frame, large record sets by reference',
    (version) => {
      const whole = encodeResponse(ApiKey.Fetch, version, 3, body);
      const chunks = encodeResponseChunks(ApiKey.Fetch, version, 3, body);
      expect(Buffer.concat(chunks).equals(whole)).toBe(true);
      expect(chunks.filter((c) => c === big)).toHaveLength(2);
      // head, big, middle, big, and (flexible only) the trailing tag buffers
      expect(chunks).toHaveLength(version >= 12 ? 5 : 4);
      // The small record set was copied inline; nothing but the two big ones is shared.
      expect(chunks.filter((c) => c === small)).toHaveLength(0);
    },
  );

  it('leaves later single-buffer encodes unaffected', () => {
    encodeResponseChunks(ApiKey.Fetch, 11, 3, body, 1);
    const whole = encodeResponse(ApiKey.Fetch, 11, 3, body);
    expect(whole.readInt32BE(0)).toBe(whole.length - 4);
  });
});

describe('rejections', () => {
  it('rejects versions outside the supported table, with the correlation id kept for the answer', () => {
    const frame = hex('0012 0009 0000002a ffff 00 00 00');
    try {
      decodeRequest(frame);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolDecodeError);
      const e = err as ProtocolDecodeError;
      expect(e.reason).toBe('unsupported-version');
      expect(e.apiKey).toBe(18);
      expect(e.correlationId).toBe(42);
    }
    // Produce v2 is described, but refused when the caller's table (here the compat notes') starts at 3.
    const produce2 = encodeRequest(ApiKey.Produce, 2, 1, null, { acks: 1, timeoutMs: 1, topicData: [] });
    expect(decodeRequest(produce2.subarray(4)).header.apiVersion).toBe(2);
    expect(() => decodeRequest(produce2.subarray(4), { versions: COMPAT_NOTES_VERSIONS })).toThrow(
      /Produce v2 is not supported \(supported: v3-v7\)/,
    );
  });

  it('decodes by default every version the broker advertises, flexible ones included', () => {
    // The default once was a narrower table than the broker's, refusing e.g. @platformatic's Metadata v9.
    const metadata9 = encodeRequest(ApiKey.Metadata, 9, 5, 'p', {
      topics: null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(decodeRequest(metadata9.subarray(4)).header).toMatchObject({
      apiKey: 3,
      apiVersion: 9,
      correlationId: 5,
    });
  });

  it('narrows bodies by API key and decodes bare bodies', () => {
    const frame = encodeRequest(ApiKey.Heartbeat, 3, 1, 'c', {
      groupId: 'g',
      generationId: 4,
      memberId: 'm',
      groupInstanceId: null,
    });
    const decoded = decodeRequest(frame.subarray(4));
    expect(() => requestBody(decoded, ApiKey.Fetch)).toThrow(/expected a Fetch request, got Heartbeat/);
    const bare = frame.subarray(4 + decoded.header.bodyOffset);
    expect(decodeRequestBody(ApiKey.Heartbeat, 3, bare)).toEqual(requestBody(decoded, ApiKey.Heartbeat));
  });

  it('rejects unknown API keys', () => {
    expect(() => decodeRequest(hex('03e7 0000 00000001 ffff'))).toThrow(
      expect.objectContaining({ reason: 'unknown-api' }),
    );
  });
});
