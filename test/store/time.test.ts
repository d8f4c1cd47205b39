import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dayStart, formatIso, localDateString, utcDay } from '../../src/store/time.js';

test('utcDay and dayStart', () => {
  assert.equal(utcDay(0), 0);
  assert.equal(utcDay(86_399_999), 0);
  assert.equal(utcDay(86_400_000), 1);
  assert.equal(utcDay(-1), -1);
  const t = Date.UTC(2026, 3, 6, 4, 43, 45);
  assert.equal(dayStart(utcDay(t)), Date.UTC(2026, 3, 6));
});

test('localDateString uses the local day under the offset', () => {
  const t = Date.UTC(2026, 3, 6, 2, 0); // 22:00 EDT on the 5th
  assert.equal(localDateString(t, -240), '2026-04-05');
  assert.equal(localDateString(t, 0), '2026-04-06');
  assert.equal(localDateString(Date.UTC(2026, 3, 6, 20), 330), '2026-04-07');
});

test('formatIso writes the offset and milliseconds only when non-zero', () => {
  const t = Date.UTC(2026, 3, 6, 4, 43, 45);
  assert.equal(formatIso(t, -240), '2026-04-06T00:43:45-04:00');
  assert.equal(formatIso(t + 250, -240), '2026-04-06T00:43:45.250-04:00');
  assert.equal(formatIso(t, 0), '2026-04-06T04:43:45+00:00');
  assert.equal(formatIso(t, 345), '2026-04-06T10:28:45+05:45');
  assert.equal(formatIso(t, -570), '2026-04-05T19:13:45-09:30');
  assert.throws(() => formatIso(NaN, 0), RangeError);
});
