// The code-quality checks bite: a test file with a type error, lint errors and bad formatting is
// reported by `npm run typecheck` (tsconfig.check.json), `npm run lint` (eslint.config.js) and
// `npm run format:check` (Prettier). In-process through the tools' APIs, on one temp file under
// test/ (removed afterwards), so it takes seconds, not the minute a whole-tree run takes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));

const BAD = `// written by test/quality/checks.test.ts, removed when it ends
export const n: number = 'not a number';

async function later(): Promise<number> {
  return n;
}

export function caller(): void {
  later();
  const unused = 1;
}
`;

let dir = '';
let file = '';

before(() => {
  dir = mkdtempSync(join(root, 'test', 'quality', 'tmp-'));
  file = join(dir, 'bad.ts');
  writeFileSync(file, BAD);
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the checks report a deliberate error in a test file', () => {
  test('npm run typecheck covers test/ and reports the type error', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.typecheck ?? '', /tsc -p tsconfig\.check\.json/);
    const configPath = join(root, 'tsconfig.check.json');
    const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
    assert.equal(read.error, undefined);
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath);
    assert.deepEqual(parsed.errors, []);
    assert.ok(parsed.fileNames.includes(file), 'tsconfig.check.json includes a new file under test/');
    for (const f of ['src/cli/main.ts', 'bench/import/run.ts', 'scripts/docs.ts', 'scripts/test.mjs', 'dashboards/src/index.ts']) {
      assert.ok(parsed.fileNames.includes(join(root, f)), `tsconfig.check.json includes ${f}`);
    }
    // the same options on just this file (the whole program is what `npm run typecheck` does)
    const program = ts.createProgram([file], parsed.options);
    const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
    const found = errors.map((d) => `${d.file?.getLineAndCharacterOfPosition(d.start ?? 0).line ?? -1}: TS${d.code}`);
    assert.deepEqual(
      found,
      ['1: TS2322'],
      ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }),
    );
  });

  test('npm run lint reports a type-aware and a plain lint error', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.lint ?? '', /eslint/);
    // eslint.config.js as it is, but with a program of only this file (the real one is the whole tree)
    const tsconfig = join(dir, 'tsconfig.json');
    writeFileSync(tsconfig, JSON.stringify({ extends: relative(dir, join(root, 'tsconfig.check.json')), include: ['bad.ts'] }));
    const eslint = new ESLint({ cwd: root, overrideConfig: { languageOptions: { parserOptions: { project: tsconfig, tsconfigRootDir: root } } } });
    assert.equal(await eslint.isPathIgnored(file), false, 'a file under test/ is linted');
    const [result] = await eslint.lintFiles([file]);
    assert.ok(result);
    const found = result.messages.map((m) => `${m.line}: ${m.ruleId ?? m.message}`);
    assert.deepEqual(found, ['9: @typescript-eslint/no-floating-promises', '10: @typescript-eslint/no-unused-vars'], JSON.stringify(result.messages, null, 2));
  });

  test('npm run format:check reports a badly formatted file and passes a formatted one', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts['format:check'] ?? '', /prettier --check/);
    const options = await prettier.resolveConfig(file, { editorconfig: true });
    assert.ok(options, 'a Prettier config applies to test/');
    const ugly = 'export const x = {a:1,\n  b: "two"}\n';
    assert.equal(await prettier.check(ugly, { ...options, filepath: file }), false);
    const pretty = await prettier.format(ugly, { ...options, filepath: file });
    assert.equal(pretty, "export const x = { a: 1, b: 'two' };\n");
    assert.equal(await prettier.check(pretty, { ...options, filepath: file }), true);
  });
});
