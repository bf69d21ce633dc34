import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { brokerError, needsCoordinator, needsMetadataRefresh } from '../../src/client/errors.js';
import { ErrorCode, errorName, isRetriable, KAFKA_ERRORS } from '../../src/protocol/errors.js';
import { type KafkaErrorRow, kafkaErrorTable } from '../helpers/java.js';

/**
 * src/protocol/errors.ts is the project's only error table; Kafka's own (the `Errors` enum of the pinned
 * kafka-clients jar) is the reference. A code that drifts (the client once called 54 UNKNOWN_PRODUCER_ID;
 * Kafka's 54 is SECURITY_DISABLED) fails here.
 */

let kafka: Map<number, KafkaErrorRow>;

beforeAll(async () => {
  kafka = new Map((await kafkaErrorTable()).map((row) => [row.code, row]));
}, 240_000);

/** Every `ErrorCode.NAME` and storage error name (`'NAME'` given to StorageError) written in src/. */
function namesUsedInSrc(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith(join('protocol', 'errors.ts'))) {
        for (const m of readFileSync(path, 'utf8').matchAll(/ErrorCode\.([A-Z_]+)/g)) names.add(m[1]);
      }
    }
  };
  walk('src');
  return names;
}

describe("the error table against Kafka's numbering", () => {
  it('has every row of Kafka 4.1 with the same code, name, retriability and message', () => {
    expect(kafka.size).toBeGreaterThan(100);
    for (const row of KAFKA_ERRORS) {
      const theirs = kafka.get(row.code);
      expect(theirs, `code ${row.code} (${row.name}) is not one of Kafka's`).toBeDefined();
      expect({ ...row, message: row.name === 'NONE' ? theirs?.message : row.message }).toEqual(theirs);
    }
    expect(KAFKA_ERRORS.map((r) => r.code).sort((a, b) => a - b)).toEqual(
      [...kafka.keys()].sort((a, b) => a - b),
    );
  });

  it('numbers every code the project uses as Kafka does', () => {
    const used = namesUsedInSrc();
    expect(used.size).toBeGreaterThan(20);
    for (const name of used) {
      const code = (ErrorCode as Record<string, number>)[name];
      expect(kafka.get(code)?.name, `ErrorCode.${name}`).toBe(name);
    }
  });

  it('answers name and retriability by code, including codes Kafka does not define', () => {
    expect(errorName(54)).toBe('SECURITY_DISABLED');
    expect(errorName(59)).toBe('UNKNOWN_PRODUCER_ID');
    expect(errorName(9999)).toBe('UNKNOWN_ERROR_CODE_9999');
    expect(isRetriable(ErrorCode.MEMBER_ID_REQUIRED)).toBe(kafka.get(79)?.retriable);
    expect(isRetriable(9999)).toBe(false);
  });
});

describe('the client error built from the table', () => {
  it('names a code as Kafka does and keeps the client advice by name', () => {
    const unknownProducer = brokerError(59, 'Produce to t-0');
    expect(unknownProducer.codeName).toBe('UNKNOWN_PRODUCER_ID');
    expect(unknownProducer.message).toMatch(/producer id; recreate the producer/);
    const disabled = brokerError(54, 'SaslHandshake');
    expect(disabled.codeName).toBe('SECURITY_DISABLED');
    expect(disabled.message).not.toMatch(/producer/);
  });

  it("falls back to Kafka's message for codes without client advice", () => {
    const err = brokerError(ErrorCode.INVALID_FETCH_SIZE, 'Fetch');
    expect(err.message).toContain(kafka.get(4)?.message);
    expect(err.retriable).toBe(false);
  });

  it('knows which codes move metadata or the coordinator', () => {
    expect(needsMetadataRefresh(ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(true);
    expect(needsCoordinator(ErrorCode.NOT_COORDINATOR)).toBe(true);
    expect(needsMetadataRefresh(ErrorCode.NOT_COORDINATOR)).toBe(false);
  });
});
