import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { API_SPECS } from '../../src/protocol/apis/index.js';
import {
  decodeResponse,
  describedVersions,
  encodeResponse,
  isFlexibleVersion,
} from '../../src/protocol/messages.js';
import { type FieldSpec, inRange } from '../../src/protocol/schema.js';
import { defaultOf, sampleStruct, type Variant } from './sample.js';

/** Positional in this version: present on the wire outside the tagged-field section. */
function positional(spec: FieldSpec, version: number, flexible: boolean): boolean {
  const onlyTagged = spec.tagged !== undefined;
  const exists =
    inRange(spec.versions, version) && (!onlyTagged || (flexible && inRange(spec.tagged, version)));
  const tagged = spec.tag !== undefined && flexible && inRange(spec.tagged, version);
  return exists && !tagged;
}

/** `expected` with every positional field called `name`, at any depth, given what a skipped field decodes to. */
function blanked(
  expected: Record<string, unknown>,
  specs: readonly FieldSpec[],
  name: string,
  version: number,
  flexible: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...expected };
  for (const spec of specs) {
    const value = out[spec.name];
    if (!positional(spec, version, flexible)) continue;
    if (spec.name === name) {
      out[spec.name] = spec.type.startsWith('[]') ? [] : defaultOf(spec);
      continue;
    }
    if (!spec.fields || value === null || value === undefined) continue;
    out[spec.name] = Array.isArray(value)
      ? value.map((v) => blanked(v, spec.fields!, name, version, flexible))
      : blanked(value as Record<string, unknown>, spec.fields, name, version, flexible);
  }
  return out;
}

function namesOf(specs: readonly FieldSpec[], into = new Set<string>()): Set<string> {
  for (const s of specs) {
    into.add(s.name);
    if (s.fields) namesOf(s.fields, into);
  }
  return into;
}

describe('decoding a response while stepping over fields the caller never reads', () => {
  const cases: [string, number, number][] = [];
  for (const spec of Object.values(API_SPECS)) {
    const range = describedVersions(spec.key)!;
    for (let v = range.min; v <= range.max; v++) cases.push([spec.name, spec.key, v]);
  }
  const variants: Variant[] = ['full', 'nulls', 'wide'];

  it.each(cases)(
    '%s (key %i) v%i: every field skipped in turn, the rest decoded as before',
    (_n, key, version) => {
      const spec = API_SPECS[key];
      const flexible = isFlexibleVersion(key, version);
      for (const variant of variants) {
        const res = sampleStruct(spec.response, version, flexible, variant);
        const frame = encodeResponse(key, version, 77, res.value as never).subarray(4);
        for (const name of namesOf(spec.response)) {
          const back = decodeResponse(key, version, frame, new Set([name]));
          // Any byte miscounted while skipping would shift every field after it.
          expect(back.body, `skipping ${name} (${variant})`).toEqual(
            blanked(res.expected, spec.response, name, version, flexible),
          );
        }
      }
    },
  );

  it('a skipped array is a shared frozen empty array, and a truncated frame still fails', () => {
    const version = 9;
    const body = {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'h', port: 9092, rack: null }],
      clusterId: 'c',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 't',
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 0,
              replicaNodes: [1, 2, 3],
              isrNodes: [1],
            },
            {
              errorCode: 0,
              partitionIndex: 1,
              leaderId: -1,
              leaderEpoch: 0,
              replicaNodes: [2],
              isrNodes: [],
            },
          ],
          topicAuthorizedOperations: 0,
        },
      ],
      clusterAuthorizedOperations: 0,
    };
    const frame = encodeResponse(ApiKey.Metadata, version, 1, body as never).subarray(4);
    const skip = new Set(['replicaNodes', 'isrNodes', 'offlineReplicas']);
    const back = decodeResponse(ApiKey.Metadata, version, frame, skip).body;
    const [p0, p1] = back.topics[0].partitions;
    expect([p0.leaderId, p1.leaderId]).toEqual([1, -1]);
    expect(p0.replicaNodes).toEqual([]);
    expect(p0.replicaNodes).toBe(p1.isrNodes);
    expect(Object.isFrozen(p0.replicaNodes)).toBe(true);
    expect(() =>
      decodeResponse(ApiKey.Metadata, version, frame.subarray(0, frame.length - 12), skip),
    ).toThrow(/Metadata v9/);
  });
});
