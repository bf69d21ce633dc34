import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBlocks, programOf, ROOT } from '../docs/extract.js';
import { killChildren, run } from '../helpers/run.js';

// The package as a user gets it: `npm pack`, the tarball installed into a fresh project (from the npm
// cache where it can be), and programs against every subpath export typechecked with --strict and no
// skipLibCheck, on the TypeScript this project pins and on the newest one, then run.

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
};
const pinned = (name: string) =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;
const npm = (args: string[], cwd: string, timeoutMs = 120_000) =>
  run('npm', [...args, '--prefix', cwd, '--no-audit', '--no-fund'], { timeoutMs });

let dir: string;
let app: string;
let tarball: string;
let files: string[];
let installLog: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/index.d.ts'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  }
  dir = mkdtempSync(join(tmpdir(), 'sluice-pack-'));
  const packed = await run('npm', ['pack', '--json', '--pack-destination', dir, ROOT], { timeoutMs: 60_000 });
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, info.filename);
  files = info.files.map((f) => f.path);
  app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const install = await npm(
    [
      'install',
      '--prefer-offline',
      tarball,
      `typescript@${pinned('typescript')}`,
      'typescript-latest@npm:typescript@latest',
      `@types/node@${pinned('@types/node')}`,
    ],
    app,
  );
  installLog = install.stdout + install.stderr;
}, 180_000);

afterAll(() => {
  killChildren();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A tsconfig as strict as a careful user's: no skipLibCheck, and no implicit `types` (TypeScript 6+). */
function writeTsconfig(include: string[]): void {
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        target: 'es2022',
        outDir: 'out',
        skipLibCheck: false,
        types: [],
      },
      include,
    }),
  );
}

const tsc = (bin: 'typescript' | 'typescript-latest', extra: string[] = []) =>
  run(process.execPath, [join(app, 'node_modules', bin, 'bin/tsc'), '-p', app, ...extra], {
    timeoutMs: 120_000,
  });

describe('the packed tarball', () => {
  it('ships the license, the docs the README links to, source maps with their sources, and no src/', () => {
    expect(files).toContain('LICENSE');
    expect(files.some((f) => f.startsWith('src/'))).toBe(false);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const local = [...readme.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)]
      .map((m) => m[1])
      .filter((href) => !/^[a-z]+:/.test(href));
    expect(local.length).toBeGreaterThan(5);
    expect(local.filter((href) => !files.includes(href))).toEqual([]);
    const map = JSON.parse(readFileSync(join(app, 'node_modules/sluice/dist/flow/channel.js.map'), 'utf8'));
    expect(map.sourcesContent?.[0]).toContain('export class Channel');
  });

  it('installs on this Node without engine warnings', () => {
    expect(installLog).not.toMatch(/EBADENGINE/);
  });

  it('exports every entry point the docs use', () => {
    expect(Object.keys(pkg.exports)).toEqual(
      expect.arrayContaining(['.', './flow', './engine', './client', './consumer', './broker', './monitor']),
    );
  });

  it('typechecks and runs the library guide and a program on every subpath, with --strict', async () => {
    // docs/library.md uses every subpath but the root; root.ts covers the root and the missing-pg error.
    writeFileSync(join(app, 'library.ts'), programOf(extractBlocks('docs/library.md')));
    writeFileSync(
      join(app, 'root.ts'),
      `import { broker, Channel, client, consumer, monitor } from 'sluice';
import { MissingOptionalDependencyError, PostgresSink } from 'sluice/consumer';
const channel = new Channel<number>({ capacity: 1, policy: 'drop-oldest' });
channel.trySend(1);
channel.trySend(2);
console.log(JSON.stringify({ depth: channel.depth, dropped: channel.stats.dropped }));
console.log(typeof broker.Broker, typeof client.Producer, typeof consumer.createKafkaConsumer, typeof monitor.LagMonitor);
try {
  new PostgresSink({ table: 't', conflictColumns: ['id'], toRow: () => ({ id: 1 }) });
} catch (err) {
  if (!(err instanceof MissingOptionalDependencyError)) throw err;
  console.log(err.message);
}
`,
    );
    writeTsconfig(['library.ts', 'root.ts']);
    await tsc('typescript'); // emits out/*.js
    await tsc('typescript-latest', ['--noEmit']);
    const root = await run(process.execPath, [join(app, 'out/root.js')], { timeoutMs: 30_000 });
    expect(root.stdout).toContain('{"depth":1,"dropped":1}');
    expect(root.stdout).toContain('function function function function');
    expect(root.stdout).toMatch(/the PostgreSQL sink needs the optional package "pg".*npm install pg/);
    const guide = await run(process.execPath, [join(app, 'out/library.js')], { timeoutMs: 60_000 });
    expect(guide.stdout).toMatch(/consumed 1000, committed: true/);
    expect(guide.stderr).not.toMatch(/"level":30/); // the embedded broker is quiet by default
  }, 240_000);
});
