import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalSequence, Zone, isValidTimeZone, zoneNamed, zoneOffset } from '../../src/time/index.js';

const iso = (t: number): string => new Date(t).toISOString();

test('unknown zone → clear error', () => {
  assert.throws(() => new Zone('Mars/Olympus_Mons'), /unknown time zone "Mars\/Olympus_Mons"/);
  assert.equal(new Zone('America/New_York').name, 'America/New_York');
});

test('offsetAt: New York, Kolkata (half hour), Sydney (southern hemisphere), UTC', () => {
  const ny = new Zone('America/New_York');
  assert.equal(ny.offsetAt(Date.UTC(2026, 3, 6, 12)), -240);
  assert.equal(ny.offsetAt(Date.UTC(2026, 0, 6, 12)), -300);
  // transition instants: 2026-03-08 07:00Z and 2026-11-01 06:00Z
  assert.equal(ny.offsetAt(Date.UTC(2026, 2, 8, 6, 59, 59)), -300);
  assert.equal(ny.offsetAt(Date.UTC(2026, 2, 8, 7)), -240);
  assert.equal(ny.offsetAt(Date.UTC(2026, 10, 1, 5, 59, 59)), -240);
  assert.equal(ny.offsetAt(Date.UTC(2026, 10, 1, 6)), -300);
  assert.equal(new Zone('Asia/Kolkata').offsetAt(Date.UTC(2026, 5, 1)), 330);
  const syd = new Zone('Australia/Sydney');
  assert.equal(syd.offsetAt(Date.UTC(2026, 0, 15)), 660); // AEDT in January
  assert.equal(syd.offsetAt(Date.UTC(2026, 6, 15)), 600); // AEST in July
  assert.equal(new Zone('UTC').offsetAt(Date.UTC(2026, 6, 15)), 0);
  // Lord Howe: 30-minute DST shift at 02:00 local = 15:00Z (2026-04-04), inside an hour bucket of another zone's cache
  const lh = new Zone('Australia/Lord_Howe');
  assert.equal(lh.offsetAt(Date.UTC(2026, 3, 4, 14, 59)), 660);
  assert.equal(lh.offsetAt(Date.UTC(2026, 3, 4, 15, 1)), 630);
});

test('fromLocal: normal, DST gap (shifted forward) and repeated hour (earlier/later) in New York', () => {
  const ny = new Zone('America/New_York');
  assert.deepEqual(ny.fromLocal(2026, 4, 6, 0, 0, 0), { t: Date.UTC(2026, 3, 6, 4), offset: -240, gap: false, ambiguous: false });
  const g = ny.fromLocal(2026, 3, 8, 2, 30, 0);
  assert.equal(g.gap, true);
  assert.equal(iso(g.t), '2026-03-08T07:30:00.000Z'); // = 03:30 EDT
  assert.equal(g.offset, -240);
  const e = ny.fromLocal(2026, 11, 1, 1, 30, 0);
  assert.deepEqual([iso(e.t), e.offset, e.ambiguous, e.gap], ['2026-11-01T05:30:00.000Z', -240, true, false]);
  const l = ny.fromLocal(2026, 11, 1, 1, 30, 0, 0, 'later');
  assert.deepEqual([iso(l.t), l.offset, l.ambiguous], ['2026-11-01T06:30:00.000Z', -300, true]);
  assert.equal(ny.fromLocal(2026, 11, 1, 2, 30, 0).ambiguous, false);
  assert.equal(iso(ny.fromLocal(2026, 4, 6, 4, 0, 0, 250).t), '2026-04-06T08:00:00.250Z');
});

test('fromLocal: Kolkata and Sydney (DST gap in October, repeat in April)', () => {
  const k = new Zone('Asia/Kolkata');
  assert.equal(iso(k.fromLocal(2026, 4, 6, 5, 30, 0).t), '2026-04-06T00:00:00.000Z');
  const s = new Zone('Australia/Sydney');
  const gap = s.fromLocal(2026, 10, 4, 2, 15, 0); // clocks go 02:00 → 03:00 AEDT on 2026-10-04
  assert.equal(gap.gap, true);
  assert.equal(iso(gap.t), '2026-10-03T16:15:00.000Z'); // 03:15 AEDT
  const amb = s.fromLocal(2026, 4, 5, 2, 30, 0); // 03:00 AEDT → 02:00 AEST on 2026-04-05
  assert.equal(amb.ambiguous, true);
  assert.equal(iso(amb.t), '2026-04-04T15:30:00.000Z');
  assert.equal(iso(s.fromLocal(2026, 4, 5, 2, 30, 0, 0, 'later').t), '2026-04-04T16:30:00.000Z');
});

test('LocalSequence: per-minute series across the fall-back hour keeps both hours', () => {
  const seq = new LocalSequence(new Zone('America/New_York'));
  const out: number[] = [];
  for (let pass = 0; pass < 2; pass++) for (let m = 0; m < 60; m++) out.push(seq.next(2026, 11, 1, 1, m, 0).t);
  assert.equal(out.length, 120);
  assert.equal(new Set(out).size, 120);
  for (let i = 1; i < out.length; i++) assert.ok(out[i]! > out[i - 1]!, `instant ${i} not increasing`);
  assert.equal(iso(out[0]!), '2026-11-01T05:00:00.000Z');
  assert.equal(iso(out[119]!), '2026-11-01T06:59:00.000Z');
  assert.equal(seq.ambiguous, 120);
  assert.equal(seq.gaps, 0);
  // after the repeated hour, back to normal
  const after = seq.next(2026, 11, 1, 2, 0, 0);
  assert.deepEqual([iso(after.t), after.offset], ['2026-11-01T07:00:00.000Z', -300]);
});

test('LocalSequence counts gaps; spring-forward series stays increasing', () => {
  const seq = new LocalSequence(new Zone('America/New_York'));
  const out: number[] = [];
  for (let h = 1; h <= 3; h++) for (let m = 0; m < 60; m += 15) out.push(seq.next(2026, 3, 8, h, m, 0).t);
  assert.equal(seq.gaps, 4);
  assert.equal(seq.ambiguous, 0);
  // gap stamps are shifted forward by the gap: 02:15 (non-existent) → 03:15 EDT, the same instant as a real 03:15
  assert.equal(iso(out[3]!), '2026-03-08T06:45:00.000Z'); // 01:45 EST
  assert.equal(iso(out[5]!), '2026-03-08T07:15:00.000Z'); // 02:15 → 03:15 EDT
  assert.equal(iso(out[9]!), '2026-03-08T07:15:00.000Z'); // 03:15 EDT
});

test('fromWallClock is fromLocal of "local ms"', () => {
  const ny = new Zone('America/New_York');
  for (const [mo, d, h, mi] of [
    [3, 8, 2, 30],
    [11, 1, 1, 30],
    [4, 6, 0, 0],
  ] as const) {
    assert.deepEqual(ny.fromWallClock(Date.UTC(2026, mo - 1, d, h, mi)), ny.fromLocal(2026, mo, d, h, mi, 0));
    assert.deepEqual(ny.fromWallClock(Date.UTC(2026, mo - 1, d, h, mi), 'later'), ny.fromLocal(2026, mo, d, h, mi, 0, 0, 'later'));
  }
});

test('New York: local dates, midnights and day bounds across DST, leap day and New Year', () => {
  const ny = new Zone('America/New_York');
  assert.equal(ny.localDate(Date.UTC(2026, 3, 6, 3, 59)), '2026-04-05');
  assert.equal(ny.localDate(Date.UTC(2026, 3, 6, 4)), '2026-04-06');
  assert.equal(ny.localDate(Date.UTC(2029, 0, 1, 4, 59)), '2028-12-31');
  assert.equal(ny.localDate(Date.UTC(2029, 0, 1, 5)), '2029-01-01');
  assert.equal(ny.localDate(Date.UTC(2028, 2, 1, 4, 59)), '2028-02-29');
  assert.deepEqual(ny.midnight(2026, 3, 8), { t: Date.UTC(2026, 2, 8, 5), offset: -300 });
  assert.deepEqual(ny.midnight(2026, 3, 9), { t: Date.UTC(2026, 2, 9, 4), offset: -240 });
  assert.equal(ny.midnightOfDate('2028-02-29'), Date.UTC(2028, 1, 29, 5));
  assert.equal(ny.midnightOfDate('2029-01-01'), Date.UTC(2029, 0, 1, 5));
  // spring forward: a 23-hour day; fall back: 25 hours
  assert.deepEqual(ny.dayAt(Date.UTC(2026, 2, 8, 12)), { date: '2026-03-08', start: Date.UTC(2026, 2, 8, 5), end: Date.UTC(2026, 2, 9, 4) });
  const fall = ny.dayAt(Date.UTC(2026, 10, 1, 12));
  assert.deepEqual(fall, { date: '2026-11-01', start: Date.UTC(2026, 10, 1, 4), end: Date.UTC(2026, 10, 2, 5) });
  assert.deepEqual(ny.dayAt(Date.UTC(2028, 1, 29, 12)), { date: '2028-02-29', start: Date.UTC(2028, 1, 29, 5), end: Date.UTC(2028, 2, 1, 5) });
  assert.deepEqual(ny.dayAt(Date.UTC(2029, 0, 1, 4, 59)), { date: '2028-12-31', start: Date.UTC(2028, 11, 31, 5), end: Date.UTC(2029, 0, 1, 5) });
});

test('Pacific/Chatham (UTC+13:45 in summer, +12:45 in winter)', () => {
  const c = new Zone('Pacific/Chatham');
  // DST ends 2026-04-05 03:45 local (= 2026-04-04T14:00Z), starts 2026-09-27 02:45 local (= 2026-09-26T14:00Z)
  assert.equal(c.offsetAt(Date.UTC(2026, 3, 4, 13, 59)), 825);
  assert.equal(c.offsetAt(Date.UTC(2026, 3, 4, 14)), 765);
  assert.equal(c.offsetAt(Date.UTC(2026, 8, 26, 13, 59)), 765);
  assert.equal(c.offsetAt(Date.UTC(2026, 8, 26, 14)), 825);
  // 03:00 on 2026-09-27 does not exist: shifted forward by the hour to 04:00 +13:45
  assert.deepEqual(c.fromLocal(2026, 9, 27, 3, 0, 0), { t: Date.UTC(2026, 8, 26, 14, 15), offset: 825, gap: true, ambiguous: false });
  // 03:00 on 2026-04-05 happens twice
  assert.deepEqual(c.fromLocal(2026, 4, 5, 3, 0, 0), { t: Date.UTC(2026, 3, 4, 13, 15), offset: 825, gap: false, ambiguous: true });
  assert.deepEqual(c.fromLocal(2026, 4, 5, 3, 0, 0, 0, 'later'), { t: Date.UTC(2026, 3, 4, 14, 15), offset: 765, gap: false, ambiguous: true });
  assert.deepEqual(c.dayAt(Date.UTC(2026, 8, 26, 20)), { date: '2026-09-27', start: Date.UTC(2026, 8, 26, 11, 15), end: Date.UTC(2026, 8, 27, 10, 15) });
  assert.deepEqual(c.dayAt(Date.UTC(2026, 3, 4, 20)), { date: '2026-04-05', start: Date.UTC(2026, 3, 4, 10, 15), end: Date.UTC(2026, 3, 5, 11, 15) });
  // New Year's Eve: 2028 starts at 2027-12-31T10:15Z
  assert.equal(c.localDate(Date.UTC(2027, 11, 31, 10, 14)), '2027-12-31');
  assert.equal(c.localDate(Date.UTC(2027, 11, 31, 10, 15)), '2028-01-01');
  assert.deepEqual(c.midnight(2028, 1, 1), { t: Date.UTC(2027, 11, 31, 10, 15), offset: 825 });
  // leap day 2028-02-29 (summer time)
  assert.equal(c.midnightOfDate('2028-02-29'), Date.UTC(2028, 1, 28, 10, 15));
  assert.equal(c.localDate(Date.UTC(2028, 1, 29, 10, 14)), '2028-02-29');
  assert.equal(c.localDate(Date.UTC(2028, 1, 29, 10, 15)), '2028-03-01');
});

test("negative offsets: St John's (-03:30 / -02:30) and Honolulu (-10:00)", () => {
  const sj = new Zone('America/St_Johns');
  assert.equal(sj.offsetAt(Date.UTC(2026, 0, 15)), -210);
  assert.equal(sj.offsetAt(Date.UTC(2026, 6, 15)), -150);
  assert.equal(sj.localDate(Date.UTC(2029, 0, 1, 3, 29)), '2028-12-31');
  assert.equal(sj.localDate(Date.UTC(2029, 0, 1, 3, 30)), '2029-01-01');
  assert.deepEqual(sj.midnight(2028, 2, 29), { t: Date.UTC(2028, 1, 29, 3, 30), offset: -210 });
  const hnl = new Zone('Pacific/Honolulu');
  assert.equal(hnl.localDate(Date.UTC(2028, 2, 1, 9, 59)), '2028-02-29');
  assert.deepEqual(hnl.dayAt(Date.UTC(2028, 1, 29, 12)), { date: '2028-02-29', start: Date.UTC(2028, 1, 29, 10), end: Date.UTC(2028, 2, 1, 10) });
});

test('a day whose midnight falls in a DST gap starts at the first instant that exists (São Paulo 2018)', () => {
  const sp = new Zone('America/Sao_Paulo');
  // 2018-11-04: clocks went from 00:00 -03:00 to 01:00 -02:00
  assert.deepEqual(sp.midnight(2018, 11, 4), { t: Date.UTC(2018, 10, 4, 3), offset: -120 });
  assert.deepEqual(sp.dayAt(Date.UTC(2018, 10, 4, 12)), { date: '2018-11-04', start: Date.UTC(2018, 10, 4, 3), end: Date.UTC(2018, 10, 5, 2) });
});

test('zoneNamed shares one Zone per name; zoneOffset is null for an unknown zone', () => {
  assert.equal(zoneNamed('Europe/Berlin'), zoneNamed('Europe/Berlin'));
  assert.throws(() => zoneNamed('Mars/Olympus_Mons'), /unknown time zone "Mars\/Olympus_Mons"/);
  assert.equal(zoneOffset('America/New_York', Date.UTC(2026, 2, 8, 6, 59)), -300);
  assert.equal(zoneOffset('America/New_York', Date.UTC(2026, 2, 8, 7, 0)), -240);
  assert.equal(zoneOffset('Pacific/Chatham', Date.UTC(2027, 0, 1)), 825);
  assert.equal(zoneOffset('UTC', 0), 0);
  assert.equal(zoneOffset('Not/AZone', 0), null);
  assert.equal(zoneOffset('', 0), null);
});

test('isValidTimeZone', () => {
  assert.equal(isValidTimeZone('Pacific/Chatham'), true);
  assert.equal(isValidTimeZone('UTC'), true);
  assert.equal(isValidTimeZone(''), false);
  assert.equal(isValidTimeZone('Mars/Olympus_Mons'), false);
});
