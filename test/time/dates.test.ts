import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  SECOND_MS,
  addDays,
  calendarDay,
  dateOfDay,
  dayNumber,
  dayStart,
  daysFromCivil,
  daysInMonth,
  formatIso,
  formatOffset,
  isValidDateTime,
  localDateAtOffset,
  localDayAtOffset,
  systemClock,
  utcDay,
  wallClockMs,
} from '../../src/time/index.js';

test('durations', () => {
  assert.equal(SECOND_MS, 1000);
  assert.equal(MINUTE_MS, 60 * SECOND_MS);
  assert.equal(HOUR_MS, 60 * MINUTE_MS);
  assert.equal(DAY_MS, 24 * HOUR_MS);
});

test('utcDay and dayStart', () => {
  assert.equal(utcDay(0), 0);
  assert.equal(utcDay(86_399_999), 0);
  assert.equal(utcDay(86_400_000), 1);
  assert.equal(utcDay(-1), -1);
  const t = Date.UTC(2026, 3, 6, 4, 43, 45);
  assert.equal(dayStart(utcDay(t)), Date.UTC(2026, 3, 6));
});

test('daysFromCivil agrees with Date.UTC, leap days and centuries included', () => {
  assert.equal(daysFromCivil(1970, 1, 1), 0);
  assert.equal(daysFromCivil(1969, 12, 31), -1);
  for (const [y, m, d] of [
    [2028, 2, 29],
    [2028, 3, 1],
    [2000, 2, 29],
    [2100, 3, 1],
    [2028, 12, 31],
    [2029, 1, 1],
    [1900, 3, 1],
    [1601, 1, 1],
  ] as const) {
    assert.equal(daysFromCivil(y, m, d) * DAY_MS, Date.UTC(y, m - 1, d), `${y}-${m}-${d}`);
  }
  assert.equal(wallClockMs(2028, 2, 29, 23, 59, 59, 999), Date.UTC(2028, 1, 29, 23, 59, 59, 999));
});

test('daysInMonth and isValidDateTime', () => {
  assert.equal(daysInMonth(2028, 2), 29);
  assert.equal(daysInMonth(2026, 2), 28);
  assert.equal(daysInMonth(2000, 2), 29);
  assert.equal(daysInMonth(2100, 2), 28);
  assert.equal(daysInMonth(2026, 4), 30);
  assert.equal(daysInMonth(2026, 12), 31);
  assert.equal(isValidDateTime(2028, 2, 29, 23, 59, 59), true);
  assert.equal(isValidDateTime(2026, 2, 29, 0, 0, 0), false);
  assert.equal(isValidDateTime(2026, 13, 1, 0, 0, 0), false);
  assert.equal(isValidDateTime(2026, 1, 1, 24, 0, 0), false);
  assert.equal(isValidDateTime(2026, 1, 1, 0, 60, 0), false);
  assert.equal(isValidDateTime(2026, 1, 1, 0, 0, 60), false);
});

test('dayNumber / dateOfDay / addDays: leap day and New Year', () => {
  assert.equal(dayNumber('1970-01-01'), 0);
  assert.equal(dateOfDay(dayNumber('2028-02-29')), '2028-02-29');
  assert.equal(dateOfDay(-1), '1969-12-31');
  assert.equal(addDays('2028-02-28', 1), '2028-02-29');
  assert.equal(addDays('2028-03-01', -1), '2028-02-29');
  assert.equal(addDays('2026-02-28', 1), '2026-03-01');
  assert.equal(addDays('2028-12-31', 1), '2029-01-01');
  assert.equal(addDays('2029-01-01', -1), '2028-12-31');
  assert.equal(addDays('2028-01-01', 366), '2029-01-01');
  assert.equal(addDays('2026-04-06', 0), '2026-04-06');
  // the shape is checked, the calendar is not: out-of-range days roll over
  assert.equal(dayNumber('2026-02-30'), dayNumber('2026-03-02'));
  assert.throws(() => dayNumber('2026-1-1'), RangeError);
  assert.throws(() => addDays('yesterday', 1), /expected a date YYYY-MM-DD, got "yesterday"/);
});

test('calendarDay validates real calendar dates', () => {
  assert.equal(calendarDay('2028-02-29'), dayNumber('2028-02-29'));
  assert.equal(calendarDay('2028-12-31'), dayNumber('2028-12-31'));
  assert.equal(calendarDay('2026-02-29'), null);
  assert.equal(calendarDay('2100-02-29'), null);
  assert.equal(calendarDay('2026-04-31'), null);
  assert.equal(calendarDay('2026-13-01'), null);
  assert.equal(calendarDay('2026-00-10'), null);
  assert.equal(calendarDay('2026-01-00'), null);
  assert.equal(calendarDay('26-1-1'), null);
  assert.equal(calendarDay('2026-01-01T00:00'), null);
});

test('local day and date under a fixed offset, negative offsets and New Year included', () => {
  const t = Date.UTC(2026, 3, 6, 2, 0); // 22:00 EDT on the 5th
  assert.equal(localDateAtOffset(t, -240), '2026-04-05');
  assert.equal(localDateAtOffset(t, 0), '2026-04-06');
  assert.equal(localDateAtOffset(Date.UTC(2026, 3, 6, 20), 330), '2026-04-07');
  // New Year's Eve: 2029-01-01T03:00Z is still 2028 in New York (-05:00), already 2029 in Chatham (+13:45)
  const ny = Date.UTC(2029, 0, 1, 3);
  assert.equal(localDateAtOffset(ny, -300), '2028-12-31');
  assert.equal(localDateAtOffset(Date.UTC(2028, 11, 31, 10, 14), 825), '2028-12-31');
  assert.equal(localDateAtOffset(Date.UTC(2028, 11, 31, 10, 15), 825), '2029-01-01');
  assert.equal(localDayAtOffset(ny, -300), dayNumber('2028-12-31'));
  assert.equal(localDayAtOffset(ny, 0), dayNumber('2029-01-01'));
  // leap day at -03:30 (St John's)
  assert.equal(localDateAtOffset(Date.UTC(2028, 2, 1, 3, 29), -210), '2028-02-29');
  assert.equal(localDateAtOffset(Date.UTC(2028, 2, 1, 3, 30), -210), '2028-03-01');
  assert.equal(localDayAtOffset(-1, 0), -1);
  assert.throws(() => localDateAtOffset(NaN, 0), RangeError);
  assert.throws(() => localDateAtOffset(0, 1.5), RangeError);
});

test('formatOffset and formatIso', () => {
  assert.equal(formatOffset(0), '+00:00');
  assert.equal(formatOffset(-240), '-04:00');
  assert.equal(formatOffset(-210), '-03:30');
  assert.equal(formatOffset(825), '+13:45');
  assert.equal(formatOffset(-720), '-12:00');
  const t = Date.UTC(2026, 3, 6, 4, 43, 45);
  assert.equal(formatIso(t, -240), '2026-04-06T00:43:45-04:00');
  assert.equal(formatIso(t + 250, -240), '2026-04-06T00:43:45.250-04:00');
  assert.equal(formatIso(t, 0), '2026-04-06T04:43:45+00:00');
  assert.equal(formatIso(t, 345), '2026-04-06T10:28:45+05:45');
  assert.equal(formatIso(t, -570), '2026-04-05T19:13:45-09:30');
  assert.equal(formatIso(Date.UTC(2028, 11, 31, 10, 15), 825), '2029-01-01T00:00:00+13:45');
  assert.equal(formatIso(Date.UTC(2028, 2, 1, 3, 29, 59), -210), '2028-02-29T23:59:59-03:30');
  assert.equal(formatIso(Date.UTC(2024, 2, 31, 0, 59) + 5, 330), '2024-03-31T06:29:00.005+05:30');
  assert.throws(() => formatIso(NaN, 0), RangeError);
});

test('systemClock reads the wall clock', () => {
  const a = Date.now();
  const t = systemClock();
  assert.ok(t >= a && t <= Date.now());
});
