import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { clip, MAX_QUOTE } from '../../src/util/clip.js';

test('clip keeps short text and cuts long text with the count left out', () => {
  assert.equal(clip('abc'), 'abc');
  assert.equal(clip('x'.repeat(MAX_QUOTE)), 'x'.repeat(MAX_QUOTE));
  assert.equal(clip('abcdef', 3), 'abc… (3 more characters)');
  const big = 'y'.repeat(5_000_000);
  assert.ok(clip(big).length < MAX_QUOTE + 40);
});

test('clip never splits a surrogate pair', () => {
  assert.equal(clip('a😀b', 2), 'a… (3 more characters)');
});
