import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { describeWithKafka } from '../helpers/targets.js';
import { CASES } from './differential/cases/index.js';
import { checkIntended, compareTranscripts, show } from './differential/compare.js';
import { INTENDED } from './differential/intended.js';
import { normalise } from './differential/normalisers.js';
import { type RunContext, runCase } from './differential/runner.js';

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
