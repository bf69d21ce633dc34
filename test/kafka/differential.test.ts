import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { describeWithKafka } from '../helpers/targets.js';
import { CASES } from './differential/cases/index.js';
import { checkIntended, compareTranscripts, show } from './differential/compare.js';
import { INTENDED } from './differential/intended.js';
import { NORMALISERS, normalise, STRUCTURAL_NORMALISERS } from './differential/normalisers.js';
import { type RunContext, runCase } from './differential/runner.js';

/** The section of docs/compatibility.md that states the intended differences and the normalisers. */
function docSection(): string {
  const doc = readFileSync(new URL('../../docs/compatibility.md', import.meta.url), 'utf8');
  const start = doc.indexOf('## Differences from Apache Kafka');
  if (start < 0) throw new Error('docs/compatibility.md has no "## Differences from Apache Kafka" section');
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

describe('the intended differences from Apache Kafka, declared once', () => {
  it('are the table docs/compatibility.md states, row for row and word for word', () => {
    const rows = [...docSection().matchAll(/^\| `([^`]+)` \| (.+?) \| (.+?) \|$/gm)].map((m) => ({
      case: m[1],
      paths: [...m[2].matchAll(/`([^`]+)`/g)].map((p) => p[1]),
      reason: m[3],
    }));
    expect(rows).toEqual(INTENDED.map((e) => ({ case: e.case, paths: e.paths, reason: e.reason })));
  });

  it('name only cases that exist', () => {
    const names = new Set(CASES.map((c) => c.name));
    expect(INTENDED.map((e) => e.case).filter((c) => !names.has(c))).toEqual([]);
    expect(names.size, 'case names are unique').toBe(CASES.length);
  });

  it('come with the normalisers the document lists, and no others', () => {
    const listed = [...docSection().matchAll(/^- `([a-z-]+)`: (.+)$/gm)].map((m) => ({
      name: m[1],
      why: m[2],
    }));
    const actual = [...NORMALISERS, ...STRUCTURAL_NORMALISERS].map((n) => ({ name: n.name, why: n.why }));
    expect(listed).toEqual(actual);
  });

  it('fail on an undeclared difference and on a declared one that no longer occurs', () => {
    const entry = { case: 'c', paths: ['step/response.*.errorCode', 'other/**'], reason: 'r' };
    const diffs = [
      { path: 'step/response.topics.errorCode', kafka: 3, sluice: 0 },
      { path: 'step/response.topics.0.errorCode', kafka: 3, sluice: 0 },
    ];
    const { undeclared, stale } = checkIntended('c', diffs, [entry]);
    expect(undeclared.map((d) => d.path)).toEqual(['step/response.topics.0.errorCode']);
    expect(stale).toEqual([{ path: 'other/**', reason: 'r' }]);
    expect(checkIntended('d', diffs, [entry]).undeclared).toHaveLength(2);
  });
});

describeWithKafka(
  'differential conformance: Apache Kafka and Sluice answer the same scripts alike',
  (kafka) => {
    let sluice: TestBroker;
    const ctx: RunContext = { suffix: randomBytes(3).toString('hex'), t0: BigInt(Date.now()) };
    const compared = { sequences: 0, steps: 0 };

    beforeAll(async () => {
      sluice = await startTestBroker({ durability: 'memory' });
    });
    afterAll(async () => {
      await sluice?.stop();
      console.log(`differential: compared ${compared.sequences} sequences, ${compared.steps} steps`);
    });

    const port = (bootstrap: string) => Number(bootstrap.split(',')[0].split(':')[1]);

    for (const c of CASES) {
      it(`${c.name}: ${c.title}`, async () => {
        const [k, s] = await Promise.all([
          runCase(c, port(kafka().single.bootstrap), ctx),
          runCase(c, sluice.port, ctx),
        ]);
        const [kn, sn] = await Promise.all([normalise(k, ctx), normalise(s, ctx)]);
        const diffs = compareTranscripts(kn, sn);
        const { undeclared, stale } = checkIntended(c.name, diffs, INTENDED);
        // DIFF_DUMP=1 prints both normalised transcripts: what to read when writing or debugging a case.
        if (process.env.DIFF_DUMP) console.log(show({ case: c.name, kafka: kn, sluice: sn }));
        compared.sequences++;
        compared.steps += k.steps.length;
        const scriptErrors = kn.filter(
          (st) => st.name === 'script' && show(st) === show(sn.find((x) => x.name === 'script')),
        );
        expect(scriptErrors, 'the script failed the same way on both sides').toEqual([]);
        expect(undeclared.map((d) => `${d.path}: kafka ${show(d.kafka)} sluice ${show(d.sluice)}`)).toEqual(
          [],
        );
        expect(stale.map((e) => `${e.path} no longer differs (${e.reason})`)).toEqual([]);
      });
    }
  },
);
