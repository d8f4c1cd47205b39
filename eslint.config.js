// @ts-check
// ESLint (flat config) with typescript-eslint's type-aware rules over src, test, bench, scripts and
// dashboards; eslint-config-prettier last, so no rule fights the formatter (Prettier formats).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import { fileURLToPath } from 'node:url';

export default defineConfig(
  { ignores: ['dist/', 'demo-out/', 'bench/out/', 'tmp/', 'coverage/', 'dashboards/json/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // one program for everything: the same files and options as `npm run typecheck`
        project: './tsconfig.check.json',
        tsconfigRootDir: fileURLToPath(new URL('.', import.meta.url)),
      },
    },
  },
  {
    rules: {
      // `_`-names mark what is deliberately unused (omitted by a rest destructuring, a required parameter)
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // a few rules of strictTypeChecked that this code already keeps (the rest are too noisy here)
      '@typescript-eslint/no-deprecated': 'error',
      '@typescript-eslint/no-unnecessary-template-expression': 'error',
      '@typescript-eslint/no-unnecessary-boolean-literal-compare': 'error',
      '@typescript-eslint/no-unnecessary-type-arguments': 'error',
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'error',
      // async without await is how this code implements Promise-returning interfaces (extension
      // start/stop, entry open(), test fakes): a throw still becomes a rejection
      '@typescript-eslint/require-await': 'off',
      // String(x) of values typed unknown (query parameters, JSON fields) is deliberate here
      '@typescript-eslint/no-base-to-string': 'off',
      // passing on a caught error (typed unknown) as a rejection is fine; new rejections are Errors
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // a `let` read by a closure before its one assignment (src/emulator/index.ts) cannot be const
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // tsc checks every name (checkJs covers the .mjs scripts), with Node's globals from @types/node
      'no-undef': 'off',
      // node:test's test()/describe()/it() return promises the runner itself awaits
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
    },
  },
  {
    // generated from the Google Health API discovery document: its Empty message is an empty interface
    files: ['src/sources/google-health/api-types.ts'],
    rules: { '@typescript-eslint/no-empty-object-type': 'off' },
  },
  {
    // the web UI's browser modules: their own program, with the DOM's types (tsconfig.ui.json)
    files: ['src/web/ui/assets/**/*.js'],
    languageOptions: { parserOptions: { project: './tsconfig.ui.json' } },
  },
  {
    // plain JS: a JSDoc cast, /** @type {T} */ (JSON.parse(x)), is invisible to this rule (tsc checks the cast)
    files: ['**/*.mjs', '**/*.js'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  prettier,
);
