import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Code examples in the documentation. Fenced blocks tagged `ts`, `typescript` or `js` are programs and
 * are run; a block whose info string also says `illustrative` (```ts illustrative) is a sketch of internals
 * and is not. Blocks in other languages (sh, text, the untagged ones) are commands or output, not run.
 */
export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  illustrative: boolean;
  code: string;
}

export const RUNNABLE_LANGS = ['ts', 'typescript', 'js'];
/** Every language a fence may name: a new one must be added here, deliberately runnable or not. */
export const KNOWN_LANGS = [...RUNNABLE_LANGS, 'sh', 'bash', 'text', 'json', 'promql', 'yaml', ''];

export const ROOT = join(import.meta.dirname, '..', '..');

/** README.md and every docs/*.md, as paths relative to the repository root. */
export function documentedFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

export function extractBlocks(file: string, text = readFileSync(join(ROOT, file), 'utf8')): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})\s*(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const end = lines.findIndex((l, j) => j > i && l.trimEnd() === fence);
    if (end < 0) throw new Error(`${file}:${i + 1}: a code fence that is never closed`);
    blocks.push({
      file,
      line: i + 1,
      lang: open[2],
      illustrative: /\billustrative\b/.test(open[3]),
      code: lines.slice(i + 1, end).join('\n'),
    });
    i = end;
  }
  return blocks;
}

export function runnable(block: DocBlock): boolean {
  return RUNNABLE_LANGS.includes(block.lang) && !block.illustrative;
}

/**
 * One document's runnable blocks as one ES module, in order: a page's examples build on each other
 * (docs/library.md is one program in sections). Each block is introduced by a comment naming its line.
 */
export function programOf(blocks: DocBlock[]): string {
  return blocks
    .filter(runnable)
    .map((b) => `// ${b.file}:${b.line}\n${b.code}`)
    .join('\n\n');
}
