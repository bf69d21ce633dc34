import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * A function a reader can name in one phrase rarely runs past 80 lines: past that it is usually two steps
 * wanting names. This test parses every file of src/ with the TypeScript compiler and lists each function,
 * method, constructor, accessor and arrow function whose text spans more than MAX_LINES lines.
 */

const SRC = resolve('src');
const MAX_LINES = 80;

/** Functions allowed to stay longer for now, as `file name` (e.g. `src/x.ts constructor`); keep it empty. */
const EXEMPT: string[] = [];

interface FunctionSpan {
  file: string;
  /** 1-based line of the function's first token. */
  line: number;
  name: string;
  lines: number;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function isFunctionWithBody(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node)) &&
    node.body !== undefined
  );
}

/** A name a reader can find: the declared one, the variable or property it is assigned to, or the call it is passed to. */
function nameOf(node: ts.FunctionLikeDeclaration, file: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText(file);
  const parent = node.parent;
  if (
    ts.isVariableDeclaration(parent) ||
    ts.isPropertyAssignment(parent) ||
    ts.isPropertyDeclaration(parent)
  ) {
    return parent.name.getText(file);
  }
  if (ts.isCallExpression(parent)) return `(callback of ${parent.expression.getText(file).slice(0, 40)})`;
  return '(anonymous)';
}

/** Every function of a parsed file with its length, counted from its first line to its closing brace. */
function functionsOf(file: ts.SourceFile): FunctionSpan[] {
  const found: FunctionSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionWithBody(node)) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({
        file: file.fileName,
        line: first + 1,
        name: nameOf(node, file),
        lines: last - first + 1,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function longFunctionsIn(text: string, fileName: string): FunctionSpan[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  return functionsOf(file).filter((f) => f.lines > MAX_LINES);
}

describe('function length', () => {
  it(`no function in src/ is longer than ${MAX_LINES} lines`, () => {
    const long = sourceFiles(SRC)
      .flatMap((path) => longFunctionsIn(readFileSync(path, 'utf8'), relative(process.cwd(), path)))
      .filter((f) => !EXEMPT.includes(`${f.file} ${f.name}`))
      .map((f) => `${f.file}:${f.line} ${f.name}: ${f.lines} lines`);
    expect(long, `split these into steps with names (at most ${MAX_LINES} lines each)`).toEqual([]);
  });

  it('counts a function from its first line to its closing brace, nested ones included', () => {
    const statements = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const text = [
      `function fits() {\n${statements(MAX_LINES - 2)}\n}`,
      `const tooLong = () => {\n${statements(MAX_LINES - 1)}\n};`,
      `class Holder {\n  method() {\n    return [1].map(function inner() {\n${statements(MAX_LINES - 2)}\n    });\n  }\n}`,
    ].join('\n');
    expect(longFunctionsIn(text, 'sample.ts')).toEqual([
      { file: 'sample.ts', line: MAX_LINES + 1, name: 'tooLong', lines: MAX_LINES + 1 },
      // `method` holds `inner` (80 lines, which fits) and two lines of its own.
      { file: 'sample.ts', line: 2 * MAX_LINES + 3, name: 'method', lines: MAX_LINES + 2 },
    ]);
  });
});
