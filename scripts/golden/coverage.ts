// Which API versions the golden fixtures (test/fixtures/golden/*.json) cover, by client: the table in
// docs/compatibility.md ("Golden bytes from real clients"), which test/protocol/golden-clients.test.ts
// compares with this. `npx tsx scripts/golden/coverage.ts` prints it after a capture.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiName, type SupportedVersionRange } from '../../src/protocol/api-keys.js';

export const GOLDEN_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'test',
  'fixtures',
  'golden',
);

export interface GoldenFrame {
  api: string;
  apiKey: number;
  apiVersion: number;
  /** Who answered: "Apache Kafka <version>" or "Sluice" (Kafka 4 no longer serves the oldest versions). */
  broker: string;
  /** Hex of the request frame without its size prefix. */
  request: string;
  /** Hex of the broker's response frame without its size prefix, or null (acks=0, no answer). */
  response: string | null;
}

export interface GoldenFile {
  /** The file name without .json: kcat, kafkajs… */
  id: string;
  /** The client and its version, as the capture found it. */
  client: string;
  frames: GoldenFrame[];
}

export function readGoldenFiles(dir = GOLDEN_DIR): GoldenFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ id: f.replace(/\.json$/, ''), ...JSON.parse(readFileSync(join(dir, f), 'utf8')) }));
}

/** Versions as "0–3, 5, 7–9". */
function ranges(versions: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < versions.length; ) {
    let j = i;
    while (j + 1 < versions.length && versions[j + 1] === versions[j] + 1) j++;
    out.push(i === j ? `${versions[i]}` : `${versions[i]}–${versions[j]}`);
    i = j + 1;
  }
  return out.join(', ') || '—';
}

/** The markdown table: per API, the versions served, each client's versions, and what no client covers. */
export interface Coverage {
  table: string;
  /** API versions the broker serves. */
  total: number;
  /** Of those, the ones a client sent on the wire (kafka-codec excluded). */
  sent: number;
  /** The ones only Kafka's message classes wrote (test/fixtures/golden/kafka-codec.json). */
  rewritten: number;
  /** The ones with an answer Apache Kafka gave on the wire. */
  kafkaAnswered: number;
}

/** The fixture of frames Kafka's message classes re-wrote at versions no client sent (fill-gaps.ts). */
export const KAFKA_CODEC_ID = 'kafka-codec';

export function coverageTable(
  files: GoldenFile[],
  served: Readonly<Record<number, SupportedVersionRange>>,
): Coverage {
  const header = ['API', 'Served', ...files.map((f) => f.id), "Kafka's answers", 'No bytes'];
  const rows = [header, header.map(() => '---')];
  let covered = 0;
  let sent = 0;
  let total = 0;
  let kafkaAnswered = 0;
  for (const [key, range] of Object.entries(served).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const k = Number(key);
    const all: number[] = [];
    for (let v = range.min; v <= range.max; v++) all.push(v);
    const byClient = files.map((f) =>
      all.filter((v) => f.frames.some((x) => x.apiKey === k && x.apiVersion === v)),
    );
    const kafka = all.filter((v) =>
      files.some((f) =>
        f.frames.some(
          (x) => x.apiKey === k && x.apiVersion === v && x.response && x.broker.startsWith('Apache Kafka'),
        ),
      ),
    );
    const missing = all.filter((v) => !byClient.some((c) => c.includes(v)));
    const live = all.filter((v) => files.some((f, i) => f.id !== KAFKA_CODEC_ID && byClient[i].includes(v)));
    total += all.length;
    covered += all.length - missing.length;
    sent += live.length;
    kafkaAnswered += kafka.length;
    rows.push([`${apiName(k)} (${k})`, ranges(all), ...byClient.map(ranges), ranges(kafka), ranges(missing)]);
  }
  return {
    table: rows.map((r) => `| ${r.join(' | ')} |`).join('\n'),
    total,
    sent,
    rewritten: covered - sent,
    kafkaAnswered,
  };
}

/** The sentence under the table in docs/compatibility.md. */
export function coverageSummary(c: Coverage): string {
  return (
    `${c.sent} of the ${c.total} API versions the broker serves have request bytes a client sent; ` +
    `${c.rewritten} more have bytes Kafka's message classes wrote (kafka-codec), ` +
    `${c.total - c.sent - c.rewritten} have none; ${c.kafkaAnswered} have the answer Apache Kafka gave on the wire.`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { advertisedVersions } = await import('../../test/helpers/broker.js');
  const coverage = coverageTable(readGoldenFiles(), await advertisedVersions());
  process.stdout.write(`${coverage.table}\n\n${coverageSummary(coverage)}\n`);
}
