import { describe, expect, it } from 'vitest';
import { chooseVersion } from '../../src/client/versions.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { onEmbeddedBroker } from '../helpers/targets.js';
import { adminSuite } from '../suites/client.js';

// The suite lives in test/suites/client.ts; test/kafka/client.test.ts runs it on the Kafka cluster.
onEmbeddedBroker('client: admin', adminSuite);

describe('version choice', () => {
  const broker = (entries: [number, number, number][]) =>
    new Map(entries.map(([k, min, max]) => [k, { min, max }]));

  it('takes the highest version both sides support, preferring the non-flexible ones we implement', () => {
    expect(chooseVersion(ApiKey.Fetch, broker([[ApiKey.Fetch, 4, 17]]), 'b')).toBe(11);
    expect(chooseVersion(ApiKey.Metadata, broker([[ApiKey.Metadata, 0, 4]]), 'b')).toBe(4);
    expect(chooseVersion(ApiKey.Produce, broker([[ApiKey.Produce, 3, 11]]), 'b')).toBe(7);
  });

  it('falls back to the lowest version a newer broker accepts when it dropped ours', () => {
    expect(chooseVersion(ApiKey.Fetch, broker([[ApiKey.Fetch, 12, 17]]), 'b')).toBe(12);
    // Fetch 13+ names topics by id, which our requests do not carry: no silent malformed request.
    expect(() => chooseVersion(ApiKey.Fetch, broker([[ApiKey.Fetch, 13, 17]]), 'b')).toThrow(
      /no common Fetch version/,
    );
    expect(() =>
      chooseVersion(ApiKey.FindCoordinator, broker([[ApiKey.FindCoordinator, 4, 6]]), 'b'),
    ).toThrow(/no common FindCoordinator version/);
  });

  it('says so when there is nothing in common', () => {
    expect(() => chooseVersion(ApiKey.Produce, broker([[ApiKey.Fetch, 4, 11]]), 'b')).toThrow(
      /does not support Produce at all/,
    );
    expect(() => chooseVersion(ApiKey.Produce, broker([[ApiKey.Produce, 0, 2]]), 'b')).toThrow(
      /no common Produce version with broker b: it accepts 0-2, this client 3-7/,
    );
  });
});
