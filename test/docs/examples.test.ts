import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { killChildren, run } from '../helpers/run.js';
import { documentedFiles, extractBlocks, KNOWN_LANGS, programOf, ROOT, runnable } from './extract.js';

// Every TypeScript example in README.md and docs/*.md runs (a page's blocks together, as one program) and
// typechecks with --strict against the sources ('sluice/…' mapped onto src/ by test/docs/tsconfig.json).
// Examples written for a broker on 127.0.0.1:9092 get an embedded broker on a free port instead.

const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';
const pages = documentedFiles()
  .map((file) => ({ file, blocks: extractBlocks(file) }))
  .filter((p) => p.blocks.some(runnable));

let dir: string;
let broker: TestBroker | undefined;
const programs = new Map<string, string>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-doc-examples-'));
  for (const page of pages) {
    const path = join(dir, `${page.file.replace(/[/.]/g, '_')}.mts`);
    writeFileSync(path, programOf(page.blocks));
    programs.set(page.file, path);
  }
});

afterEach(async () => {
  killChildren();
  await broker?.stop();
  broker = undefined;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('documentation examples', () => {
  it('tag every code fence with a language the extractor knows (runnable or not)', () => {
    const unknown = documentedFiles()
      .flatMap((f) => extractBlocks(f))
      .filter((b) => !KNOWN_LANGS.includes(b.lang))
      .map((b) => `${b.file}:${b.line} \`\`\`${b.lang}`);
    expect(unknown).toEqual([]);
  });

  it('include the library guide among the pages that are run', () => {
    expect(pages.map((p) => p.file)).toContain('docs/library.md');
  });

  it('typecheck with --strict', async () => {
    const tsconfig = join(dir, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(ROOT, 'test/docs/tsconfig.json'),
        compilerOptions: { typeRoots: [join(ROOT, 'node_modules/@types')], skipLibCheck: true },
        files: [...programs.values()],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], {
      timeoutMs: 120_000,
    });
  }, 150_000);

  for (const page of pages) {
    it(`${page.file}: runs to completion`, async () => {
      const program = programs.get(page.file)!;
      if (readFileSync(program, 'utf8').includes(DEFAULT_BOOTSTRAP)) {
        // A broker of its own per page, so one page's topics and groups never meet another's.
        broker = await startTestBroker({ durability: 'memory' });
        writeFileSync(program, readFileSync(program, 'utf8').replaceAll(DEFAULT_BOOTSTRAP, broker.bootstrap));
      }
      const result = await run(
        process.execPath,
        [
          join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
          '--tsconfig',
          join(ROOT, 'test/docs/tsconfig.json'),
          programs.get(page.file)!,
        ],
        { timeoutMs: 60_000 },
      );
      // An embedded broker is quiet by default: nothing at info level reaches stderr.
      expect(result.stderr).not.toMatch(/"level":30/);
    }, 90_000);
  }
});
