// The page guard (src/sources/google-health/paging.ts): only a page without a token ends a list;
// empty pages with a token are followed; a looping or runaway server is stopped with a clear error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnexpectedResponseError } from '../../src/sources/google-health/errors.js';
import { MAX_EMPTY_PAGES_IN_A_ROW, PageGuard } from '../../src/sources/google-health/paging.js';

test('empty pages with new tokens are followed; points reset the empty run; a final page ends it', () => {
  const g = new PageGuard('steps 2026-03-01..2026-03-07');
  for (let i = 0; i < MAX_EMPTY_PAGES_IN_A_ROW - 1; i++) g.next(0, `a${i}`);
  g.next(5, 'b');
  for (let i = 0; i < MAX_EMPTY_PAGES_IN_A_ROW - 1; i++) g.next(0, `c${i}`);
  g.next(0, null);
});

test('the same token twice, too many empty pages in a row, too many pages: an UnexpectedResponseError naming the list', () => {
  const same = new PageGuard('heart-rate 2026-03-01..2026-03-07');
  same.next(3, 't');
  assert.throws(
    () => same.next(3, 't'),
    (e: unknown) => e instanceof UnexpectedResponseError && /same page token twice \(heart-rate 2026-03-01\.\.2026-03-07\)/.test(e.message),
  );
  const empty = new PageGuard('sleep probe before 2026-03-01');
  assert.throws(() => {
    for (let i = 0; i < 100; i++) empty.next(0, `e${i}`);
  }, /25 pages in a row without data points/);
  const many = new PageGuard('steps', 0, { maxPages: 10 });
  assert.throws(() => {
    for (let i = 0; i < 100; i++) many.next(1, `m${i}`);
  }, /kept sending page tokens for 10 pages/);
  // a resumed window counts the pages it had
  const resumed = new PageGuard('steps', 9, { maxPages: 10 });
  assert.throws(() => resumed.next(1, 'x'), /10 pages/);
});
