// Golden bytes from real clients: request frames that kcat, confluent-kafka (librdkafka), kafka-python,
// kafkajs and Apache Kafka's Java client and CLI tools put on the wire, with the answers Apache Kafka gave
// them (scripts/golden/capture.ts records them through a proxy; test/fixtures/golden/README.md). Unlike
// roundtrip.test.ts, which encodes and decodes with the same schema, the bytes here come from other
// implementations: a field in the wrong place, a wrong type or a wrong version range fails to decode,
// decodes to nonsense, or re-encodes to different bytes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  coverageSummary,
  coverageTable,
  type GoldenFrame,
  readGoldenFiles,
} from '../../scripts/golden/coverage.js';
import { apiName } from '../../src/protocol/api-keys.js';
import { errorName } from '../../src/protocol/errors.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../src/protocol/messages.js';
import { splitBatches } from '../../src/protocol/record-batch.js';
import { advertisedVersions } from '../helpers/broker.js';

const FILES = readGoldenFiles();
const SERVED = await advertisedVersions();

const withSize = (frame: Buffer): Buffer => {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length, 0);
  return Buffer.concat([size, frame]);
};

/** Every value under `key` anywhere in a decoded body. */
function valuesNamed(value: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) for (const v of value) valuesNamed(v, key, out);
  else if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) out.push(v);
      valuesNamed(v, key, out);
    }
  }
  return out;
}

/**
 * What the capture scenarios name things: topics, groups and transactional ids start with "golden"
 * (or are Kafka's internal topics); a mis-aligned decode reads some other bytes as these strings.
 */
const MAGIC_AT = 16;
const NAMED = /^(golden|__consumer_offsets$|__transaction_state$)/;
function expectSensibleRequest(frame: GoldenFrame, body: Record<string, unknown>): void {
  for (const field of ['topic', 'groupId', 'transactionalId', 'groupIds', 'topicName']) {
    for (const v of valuesNamed(body, field).flat()) {
      if (v === null || v === '') continue;
      expect(String(v), `${field} in ${frame.api} v${frame.apiVersion}`).toMatch(NAMED);
    }
  }
  // Topic arrays name their topics in `name` (newer versions) or `topic`.
  for (const list of ['topics', 'topicData', 'topicPartitions']) {
    for (const topics of valuesNamed(body, list)) {
      if (!Array.isArray(topics)) continue;
      for (const t of topics as Array<Record<string, unknown>>) {
        const name = typeof t === 'string' ? t : (t.name ?? t.topic);
        if (typeof name === 'string' && name !== '') expect(name, `a topic in ${frame.api}`).toMatch(NAMED);
      }
    }
  }
  // Record sets: whole v2 batches whose CRC holds (the codec hands them over as the client wrote them).
  // Old message sets (magic 0 and 1, from clients pinned to old brokers) have the magic byte at the same place.
  for (const records of valuesNamed(body, 'records')) {
    if (!Buffer.isBuffer(records) || records.length === 0 || records[MAGIC_AT] !== 2) continue;
    const { batches, partialBytes } = splitBatches(records, { verifyCrc: true });
    expect(batches.length).toBeGreaterThan(0);
    expect(partialBytes).toBe(0);
  }
}

function expectKnownErrorCodes(frame: GoldenFrame, body: unknown): void {
  for (const code of valuesNamed(body, 'errorCode')) {
    expect(
      errorName(code as number),
      `an error code in ${frame.api} v${frame.apiVersion}'s answer`,
    ).not.toMatch(/^UNKNOWN_ERROR_CODE/);
  }
}

const cases = FILES.flatMap((file) =>
  file.frames.map((frame) => [`${file.id} ${frame.api} v${frame.apiVersion}`, file, frame] as const),
);

describe('golden bytes from real clients', () => {
  it('has fixtures for every client the capture script drives', () => {
    expect(FILES.map((f) => f.id)).toEqual([
      'confluent-kafka',
      'java',
      'kafka-codec',
      'kafka-python',
      'kafkajs',
      'kcat',
    ]);
    for (const f of FILES) expect(f.frames.length, f.id).toBeGreaterThan(5);
  });

  it.each(cases)(
    '%s: the request decodes to sensible fields and re-encodes to the same bytes',
    (_t, _f, frame) => {
      const bytes = Buffer.from(frame.request, 'hex');
      const decoded = decodeRequest(bytes, { versions: SERVED });
      const { header, body } = decoded;
      expect(header.apiKey).toBe(frame.apiKey);
      expect(header.apiVersion).toBe(frame.apiVersion);
      expect(apiName(header.apiKey)).toBe(frame.api);
      expect(header.correlationId).toBeGreaterThanOrEqual(0);
      expectSensibleRequest(frame, body);
      const again = encodeRequest(
        header.apiKey,
        header.apiVersion,
        header.correlationId,
        header.clientId,
        body as never,
      );
      expect(again.toString('hex')).toBe(withSize(bytes).toString('hex'));
    },
  );

  const answered = cases.filter(([, , frame]) => frame.response !== null);
  it.each(answered)("%s: the broker's answer decodes and re-encodes to the same bytes", (_t, _f, frame) => {
    const request = Buffer.from(frame.request, 'hex');
    const bytes = Buffer.from(frame.response as string, 'hex');
    const { correlationId, body } = decodeResponse(frame.apiKey, frame.apiVersion, bytes);
    expect(correlationId).toBe(request.readInt32BE(4));
    expectKnownErrorCodes(frame, body);
    const again = encodeResponse(frame.apiKey, frame.apiVersion, correlationId, body as never);
    expect(again.toString('hex')).toBe(withSize(bytes).toString('hex'));
  });

  it('docs/compatibility.md shows the coverage these fixtures give, per API and version', () => {
    const doc = readFileSync(new URL('../../docs/compatibility.md', import.meta.url), 'utf8');
    const coverage = coverageTable(FILES, SERVED);
    // Regenerate with `npx tsx scripts/golden/coverage.ts` after a capture.
    expect(doc).toContain(coverage.table);
    expect(doc).toContain(coverageSummary(coverage));
  });
});
