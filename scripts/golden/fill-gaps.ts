// Fills the API versions no driven client sends with Apache Kafka's own serializer: a captured frame of the
// same API (nearest version first) is read by Kafka's message classes at its version and written at the
// missing one (scripts/golden/KafkaCodec.java), request and, where Kafka answered it, response. The result
// is test/fixtures/golden/kafka-codec.json; each frame names the capture it was re-written from.
//
//   npx tsx scripts/golden/fill-gaps.ts      (after scripts/golden/capture.ts)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiName } from '../../src/protocol/api-keys.js';
import { advertisedVersions } from '../../test/helpers/broker.js';
import { fetchKafka, KAFKA_VERSION } from '../../test/helpers/kafka.js';
import { GOLDEN_DIR, type GoldenFrame, KAFKA_CODEC_ID, readGoldenFiles } from './coverage.js';

const HERE = dirname(fileURLToPath(import.meta.url));

interface Source {
  file: string;
  frame: GoldenFrame;
}

function kafkaCodec(jobs: string[]): string[] {
  const libs = join(fetchKafka(), 'libs', '*');
  const out = execFileSync('java', ['-cp', libs, join(HERE, 'KafkaCodec.java')], {
    input: `${jobs.join('\n')}\n`,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.trimEnd().split('\n');
}

async function main(): Promise<void> {
  const served = await advertisedVersions();
  const files = readGoldenFiles().filter((f) => f.id !== KAFKA_CODEC_ID);
  const sources = files.flatMap((f) => f.frames.map((frame): Source => ({ file: f.id, frame })));
  const covered = new Set(sources.map((s) => `${s.frame.apiKey}/${s.frame.apiVersion}`));
  const plans: Array<{ apiKey: number; version: number; candidates: Source[] }> = [];
  for (const [key, range] of Object.entries(served)) {
    for (let v = range.min; v <= range.max; v++) {
      if (covered.has(`${key}/${v}`)) continue;
      const candidates = sources
        .filter((s) => s.frame.apiKey === Number(key))
        .sort(
          (a, b) =>
            Math.abs(a.frame.apiVersion - v) - Math.abs(b.frame.apiVersion - v) ||
            Number(b.frame.response !== null) - Number(a.frame.response !== null),
        );
      plans.push({ apiKey: Number(key), version: v, candidates });
    }
  }
  const jobs = plans.flatMap((p) =>
    p.candidates.flatMap((c) => [
      `request ${p.version} ${c.frame.request}`,
      c.frame.response && c.frame.broker.startsWith('Apache Kafka')
        ? `response ${p.apiKey} ${c.frame.apiVersion} ${p.version} ${c.frame.response}`
        : 'response 0 0 0 -',
    ]),
  );
  const answers = kafkaCodec(jobs);
  let at = 0;
  const frames: Array<GoldenFrame & { from: string }> = [];
  const left: string[] = [];
  for (const p of plans) {
    let chosen: (GoldenFrame & { from: string }) | null = null;
    for (const c of p.candidates) {
      const request = answers[at++];
      const response = answers[at++];
      if (chosen || request.startsWith('error')) continue;
      chosen = {
        api: apiName(p.apiKey),
        apiKey: p.apiKey,
        apiVersion: p.version,
        broker: `Kafka ${KAFKA_VERSION} message classes`,
        from: `${c.file} ${c.frame.api} v${c.frame.apiVersion}`,
        request,
        response: response.startsWith('error') ? null : response,
      };
    }
    if (chosen) frames.push(chosen);
    else
      left.push(
        `${apiName(p.apiKey)} v${p.version}${p.candidates.length === 0 ? ' (no capture of this API)' : ''}`,
      );
  }
  const doc = {
    client: `Apache Kafka ${KAFKA_VERSION} message classes (the Java client's serializer), re-writing captured frames at versions no driven client sends`,
    capturedBy: 'scripts/golden/fill-gaps.ts',
    frames,
  };
  writeFileSync(join(GOLDEN_DIR, `${KAFKA_CODEC_ID}.json`), `${JSON.stringify(doc, null, 2)}\n`);
  process.stdout.write(
    `${KAFKA_CODEC_ID}: ${frames.length} API versions filled; none for: ${left.join(', ') || 'nothing'}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
