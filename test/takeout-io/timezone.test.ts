import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLegacyStamp, parseNaiveStamp, parseOffset, parseUtcStamp } from '../../src/sources/takeout/timezone.js';

test('parseUtcStamp', () => {
  assert.equal(parseUtcStamp('2026-04-06T02:43:45Z'), Date.UTC(2026, 3, 6, 2, 43, 45));
  assert.equal(parseUtcStamp('2026-04-06T02:43:45.123Z'), Date.UTC(2026, 3, 6, 2, 43, 45, 123));
  assert.equal(parseUtcStamp('2026-04-12 05:45:30+0000'), Date.UTC(2026, 3, 12, 5, 45, 30));
  assert.equal(parseUtcStamp('2026-04-12T05:45:30+00:00'), Date.UTC(2026, 3, 12, 5, 45, 30));
  assert.equal(parseUtcStamp('2026-04-12T01:45:30-04:00'), Date.UTC(2026, 3, 12, 5, 45, 30));
  assert.equal(parseUtcStamp('2026-04-12T11:15:30+05:30'), Date.UTC(2026, 3, 12, 5, 45, 30));
  assert.equal(parseUtcStamp('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  assert.equal(parseUtcStamp('1999-12-31T23:59:59Z'), Date.UTC(1999, 11, 31, 23, 59, 59));
  for (const bad of [
    '',
    '2026-04-06',
    '2026-04-06T02:43:45',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-04-06T24:00:00Z',
    '2026-04-06T02:43:4xZ',
    'HEART_RATE_ZONE_TYPE_UNSPECIFIED',
    '04/06/26 04:00:00',
  ]) {
    assert.equal(parseUtcStamp(bad), null, bad);
  }
  // agrees with Date.parse on a range of Z stamps
  for (let t = Date.UTC(2020, 0, 1); t < Date.UTC(2030, 0, 1); t += 86_400_000 * 37 + 3_723_000) {
    const s = new Date(t).toISOString().slice(0, 19) + 'Z';
    assert.equal(parseUtcStamp(s), Date.parse(s), s);
  }
});

test('parseOffset', () => {
  assert.equal(parseOffset('-04:00'), -240);
  assert.equal(parseOffset('+0530'), 330);
  assert.equal(parseOffset('-14400s'), -240);
  assert.equal(parseOffset('19800s'), 330);
  assert.equal(parseOffset('Z'), 0);
  assert.equal(parseOffset('+00:00'), 0);
  assert.equal(parseOffset('bogus'), null);
  assert.equal(parseOffset('+25:00'), null);
});

test('parseLegacyStamp and parseNaiveStamp', () => {
  assert.deepEqual(parseLegacyStamp('04/06/26 04:00:00'), [2026, 4, 6, 4, 0, 0]);
  assert.deepEqual(parseLegacyStamp('03/19/26'), [2026, 3, 19, 0, 0, 0]);
  assert.equal(parseLegacyStamp('13/06/26 04:00:00'), null);
  assert.equal(parseLegacyStamp('2026-04-06T04:00:00'), null);
  assert.deepEqual(parseNaiveStamp('2026-04-14T04:26:30.000'), [2026, 4, 14, 4, 26, 30, 0]);
  assert.deepEqual(parseNaiveStamp('2026-04-14T04:26:30.5'), [2026, 4, 14, 4, 26, 30, 500]);
  assert.deepEqual(parseNaiveStamp('2026-04-02T13:14'), [2026, 4, 2, 13, 14, 0, 0]);
  assert.deepEqual(parseNaiveStamp('2026-04-13'), [2026, 4, 13, 0, 0, 0, 0]);
  assert.deepEqual(parseNaiveStamp('2026-04-12 05:45:30'), [2026, 4, 12, 5, 45, 30, 0]);
  assert.equal(parseNaiveStamp('2026-04-12T05:45:30Z'), null);
  assert.deepEqual(parseNaiveStamp('2026-04-12T05:45:30Z', true), [2026, 4, 12, 5, 45, 30, 0]);
  assert.equal(parseNaiveStamp('2026-04-31'), null);
  assert.equal(parseNaiveStamp('yesterday'), null);
});
