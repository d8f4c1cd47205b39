import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configKeys, renderConfigDoc } from '../../src/docs/config-doc.js';

test('docs/configuration.md is generated from the schema and up to date (npm run docs)', () => {
  const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(committed, renderConfigDoc());
});

test('every key of the schema is described, and config.example.yaml names every one of them', () => {
  const example = readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');
  const keys = configKeys();
  assert.ok(keys.length > 30, `the walk found the keys (${keys.length})`);
  const missing: string[] = [];
  for (const k of keys) {
    if (k.description.trim() === '') missing.push(`${k.path}: no description`);
    const leaf =
      k.path
        .split(/\.|\[\]\.?/)
        .filter(Boolean)
        .pop() ?? '';
    // each key appears in the example as `leaf:` — set, or commented out with its default
    if (!new RegExp(`^\\s*#?\\s*-?\\s*${leaf}(_file)?:`, 'm').test(example)) missing.push(`${k.path}: not in config.example.yaml`);
  }
  assert.deepEqual(missing, []);
});
