import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/architecture.md states the layers of src/ as a table (floor, room, …); this test reads that table
 * and checks every import in src/ against it, so the document and the import graph cannot drift apart.
 * It also checks that every file the document names exists, so a rename that forgets the map fails here.
 */

const SRC = resolve('src');

interface Room {
  floor: number;
  room: string;
}

function layersFromDoc(): Map<string, number> {
  const doc = readFileSync('docs/architecture.md', 'utf8');
  const section = doc.slice(doc.indexOf('## Layers'), doc.indexOf('## The path of one record'));
  const rooms: Room[] = [];
  for (const line of section.split('\n')) {
    const m = /^\| (\d+) \| ([\w/]+) \|/.exec(line);
    if (m) rooms.push({ floor: Number(m[1]), room: m[2] });
  }
  return new Map(rooms.map((r) => [r.room, r.floor]));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file (static, type-only, re-exports and dynamic `import()`), as files of src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) =>
    resolve(dirname(file), m[1]),
  );
}

/** The rooms the table names, longest first, so `engine/kafka` wins over `engine`. */
let roomNames: string[] = [];

/** The room of a file of src/: the longest room of the table its path starts with (undefined for src/index.ts). */
function roomOf(file: string): string | undefined {
  const path = relative(SRC, file);
  if (!path.includes('/')) return undefined;
  return roomNames.find((room) => path.startsWith(`${room}/`)) ?? path.split('/')[0];
}

/** Imports that break the layers: to another room that is not on a lower floor (or on no floor). */
function breaches(floors: Map<string, number>, edges: [from: string, to: string][]): string[] {
  const out: string[] = [];
  for (const [file, target] of edges) {
    const from = roomOf(file);
    const to = roomOf(target);
    if (from === undefined || to === undefined || to === from) continue;
    const ok = (floors.get(to) ?? Number.POSITIVE_INFINITY) < (floors.get(from) ?? -1);
    if (!ok) out.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${from} -> ${to})`);
  }
  return out;
}

describe('the layers docs/architecture.md states', () => {
  const floors = layersFromDoc();
  roomNames = [...floors.keys()].sort((a, b) => b.length - a.length);

  it('place every room of src/ on a floor', () => {
    expect(floors.size).toBeGreaterThanOrEqual(9);
    const rooms = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());
    expect(rooms.filter((r) => !floors.has(r))).toEqual([]);
  });

  it('hold in the import graph: every import goes to the same room or a lower floor', () => {
    const edges = sourceFiles(SRC).flatMap((file) => importsOf(file).map((t): [string, string] => [file, t]));
    expect(edges.length).toBeGreaterThan(500);
    expect(breaches(floors, edges)).toEqual([]);
  });

  it('report an import up a floor or across a floor', () => {
    const up: [string, string] = [join(SRC, 'flow/channel.ts'), join(SRC, 'broker/broker.ts')];
    const across: [string, string] = [join(SRC, 'client/admin.ts'), join(SRC, 'broker/config.ts')];
    const down: [string, string] = [join(SRC, 'lab/lab.ts'), join(SRC, 'broker/broker.ts')];
    const engineUp: [string, string] = [join(SRC, 'engine/engine.ts'), join(SRC, 'client/producer.ts')];
    const subRoom: [string, string] = [join(SRC, 'engine/kafka/io.ts'), join(SRC, 'client/producer.ts')];
    expect(breaches(floors, [up, across, down, engineUp, subRoom])).toEqual([
      'flow/channel.ts imports broker/broker.ts (flow -> broker)',
      'client/admin.ts imports broker/config.ts (client -> broker)',
      'engine/engine.ts imports client/producer.ts (engine -> client)',
    ]);
  });
});

/** Files of the repository a document may name (source, tests, scripts, docs), as paths from the root. */
function repositoryFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [relative('.', path)];
    });
  return ['src', 'test', 'scripts', 'bench', 'docs', 'web/src'].flatMap(walk);
}

/**
 * The file names docs/architecture.md mentions (`partition-log.ts`, `groups/coordinator.ts`,
 * `src/flow/clock.ts`, `engine.md`), except the pattern `NN-name.ts` that stands for the API files.
 */
function filesNamedByDoc(): string[] {
  const doc = readFileSync('docs/architecture.md', 'utf8');
  const names = doc.match(/[\w./-]+\.(?:ts|md|sh|xml)\b/g) ?? [];
  return [...new Set(names)].filter((n) => !n.includes('NN-name'));
}

describe('the files docs/architecture.md names', () => {
  it('exist: each path is the end of a file path of the repository', () => {
    const files = repositoryFiles();
    const named = filesNamedByDoc();
    expect(named.length).toBeGreaterThan(50);
    const missing = named.filter((n) => !files.some((f) => f === n || f.endsWith(`/${n}`)));
    expect(missing).toEqual([]);
  });
});
