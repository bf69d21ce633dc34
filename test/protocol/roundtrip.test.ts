import { describe, expect, it } from 'vitest';
import { API_SPECS } from '../../src/protocol/apis/index.js';
import {
  decodeRequest,
  decodeResponse,
  describedVersions,
  encodeRequest,
  encodeResponse,
  isFlexibleVersion,
} from '../../src/protocol/messages.js';
import { sampleStruct, type Variant } from './sample.js';

const ALL_VERSIONS = Object.fromEntries(
  Object.values(API_SPECS).map((spec) => [spec.key, describedVersions(spec.key)!]),
);

const cases: Array<[string, number, number]> = [];
for (const spec of Object.values(API_SPECS)) {
  const range = describedVersions(spec.key)!;
  for (let v = range.min; v <= range.max; v++) cases.push([spec.name, spec.key, v]);
}

describe('every API, every described version, request and response round-trip', () => {
  const variants: Variant[] = ['full', 'nulls', 'wide'];
  it.each(cases)('%s (key %i) v%i', (_name, key, version) => {
    const spec = API_SPECS[key];
    const flexible = isFlexibleVersion(key, version);
    for (const variant of variants) {
      const req = sampleStruct(spec.request, version, flexible, variant);
      const frame = encodeRequest(key, version, 4242, 'client-é', req.value as never);
      expect(frame.readInt32BE(0)).toBe(frame.length - 4);
      const decoded = decodeRequest(frame.subarray(4), { versions: ALL_VERSIONS });
      expect(decoded.header).toMatchObject({
        apiKey: key,
        apiVersion: version,
        correlationId: 4242,
        clientId: 'client-é',
      });
      expect(decoded.header.headerVersion).toBe(flexible ? 2 : 1);
      expect(decoded.body).toEqual(req.expected);
      // Re-encoding what we decoded gives the same bytes: nothing is lost or invented.
      expect(encodeRequest(key, version, 4242, 'client-é', decoded.body as never).equals(frame)).toBe(true);

      const res = sampleStruct(spec.response, version, flexible, variant);
      const out = encodeResponse(key, version, 77, res.value as never);
      expect(out.readInt32BE(0)).toBe(out.length - 4);
      const back = decodeResponse(key, version, out.subarray(4));
      expect(back.correlationId).toBe(77);
      expect(back.body).toEqual(res.expected);
      expect(encodeResponse(key, version, 77, back.body as never).equals(out)).toBe(true);
    }
  });
});
