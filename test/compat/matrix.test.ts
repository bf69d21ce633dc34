import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// docs/compatibility.md's "Client and tool matrix": every cell either cites tests (`file › test title`) or says
// why there is none. This reads the table and checks each citation against the test files, so renaming or
// deleting a test without updating the table fails here.

const ROOT = new URL('../../', import.meta.url);
const SECTION = '## Client and tool matrix';
const COLUMNS = [
  'Produce',
  'Idempotent produce',
  'Compression',
  'Headers',
  'Consume (no group)',
  'Groups',
  'Static membership',
  'Cooperative rebalance',
  'Commit',
  'Admin: topics',
  'Admin: configs',
  'Admin: groups',
  'Delete records',
  'Transactions',
  'SASL/TLS',
];
/** The rows, in order. */
const CLIENTS = [
  /^kcat /,
  /^kafkajs /,
  /^@platformatic\/kafka /,
  /^kafka-python 2\..*Debian/,
  /^kafka-python 3\..*PyPI/,
  /^confluent-kafka 1\..*Debian/,
  /^confluent-kafka 2\..*PyPI/,
  /^franz-go /,
  /^Kafka CLI tools /,
  /^Java client /,
  /^Kafka Streams /,
];

interface Citation {
  file: string;
  title: string;
}

function readMatrix(): { header: string[]; rows: string[][] } {
  const doc = readFileSync(new URL('docs/compatibility.md', ROOT), 'utf8');
  const start = doc.indexOf(`${SECTION}\n`);
  if (start < 0) throw new Error(`docs/compatibility.md has no "${SECTION}" section`);
  const lines = doc
    .slice(start)
    .split('\n')
    .slice(1)
    .filter((line, i, all) => line.startsWith('|') && all.slice(0, i).every((l) => !l.startsWith('## ')));
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split(' | ')
      .map((c) => c.trim());
  const [header, , ...rows] = lines.map(cells);
  return { header, rows };
}

function citations(cell: string): Citation[] {
  return [...cell.matchAll(/`([^`›]+?) › ([^`]+)`/g)].map((m) => ({ file: m[1], title: m[2] }));
}

/**
 * The titles of the tests in a file: the first argument of every `it(`. A template literal's `${…}` parts
 * match any text, so a parameterised title is cited with one of its values.
 */
function testTitles(source: string): RegExp[] {
  const titles: RegExp[] = [];
  for (const m of source.matchAll(/\bit\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)) {
    const [, quote, body] = m;
    const parts = quote === '`' ? body.split(/\$\{[^}]*\}/) : [body];
    const escaped = parts.map((p) => p.replace(/\\(.)/g, '$1').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    titles.push(new RegExp(`^${escaped.join('.+')}$`));
  }
  return titles;
}

/**
 * The titles of the tests a test file registers: its own, and those of the shared suites (test/suites/) it
 * imports, since a suite written once is registered from a file per target.
 */
function titlesRegisteredBy(file: URL): RegExp[] {
  const source = readFileSync(file, 'utf8');
  const suites = [...source.matchAll(/from '(\.\.\/suites\/[^']+)\.js'/g)].map(
    (m) => new URL(`${m[1]}.ts`, file),
  );
  return [source, ...suites.map((s) => readFileSync(s, 'utf8'))].flatMap(testTitles);
}

describe('docs/compatibility.md client and tool matrix', () => {
  const { header, rows } = readMatrix();

  it('has one column per feature and one row per client or tool', () => {
    expect(header).toEqual(['Client or tool', ...COLUMNS]);
    expect(rows).toHaveLength(CLIENTS.length);
    for (const [i, name] of CLIENTS.entries()) expect(rows[i][0]).toMatch(name);
    for (const row of rows) expect(row, row[0]).toHaveLength(header.length);
  });

  it('fills every cell with a cited test, a refusal with its reason, "not tested"', () => {
    for (const row of rows) {
      row.slice(1).forEach((cell, i) => {
        const where = `${row[0]} › ${COLUMNS[i]}`;
        if (citations(cell).length > 0) return;
        expect(cell, where).toMatch(/^(refused: \S.*|not tested( \(.+\))?)$/);
      });
    }
  });

  it('cites only test files that exist and tests they contain, by title', () => {
    const cited = rows.flatMap((row) => row.slice(1).flatMap(citations));
    expect(cited.length).toBeGreaterThan(0);
    const titlesOf = new Map<string, RegExp[]>();
    for (const { file, title } of cited) {
      const url = new URL(file, ROOT);
      expect(existsSync(url), `${file} (cited in the matrix) does not exist`).toBe(true);
      if (!titlesOf.has(file)) titlesOf.set(file, titlesRegisteredBy(url));
      const found = titlesOf.get(file)!.some((re) => re.test(title));
      expect(found, `${file} has no test titled "${title}"`).toBe(true);
    }
  });
});
