import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalSequence, parseLegacyStamp, parseNaiveStamp, parseOffset, parseUtcStamp, Zone } from '../../src/sources/takeout/timezone.js';

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

test('parseUtcStamp', () => {
  assert.equal(parseUtcStamp('2026-04-06T02:43:45Z'), Date.UTC(2026, 3, 6, 2, 43, 45));
  assert.equal(parseUtcStamp('2026-04-06T02:43:45.123Z'), Date.UTC(2026, 3, 6, 2, 43, 45, 123));
  assert.equal(parseUtcStamp('2026-04-12 05:45:30+0000'), Date.UTC(2026, 3, 12, 5, 45, 30));
  assert.equal(parseUtcStamp('2026-04-12T05:45:30+00:00'), Date.UTC(2026, 3, 12, 5, 45, 30));
  assert.equal(parseUtcStamp('2026-04-12T01:45:30-04:00'), Date.UTC(2026, 3, 12, 5, 45, 30));
  assert.equal(parseUtcStamp('2026-04-12T11:15:30+05:30'), Date.UTC(2026, 3, 12, 5, 45, 30));
  assert.equal(parseUtcStamp('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  assert.equal(parseUtcStamp('1999-12-31T23:59:59Z'), Date.UTC(1999, 11, 31, 23, 59, 59));
  for (const bad of ['', '2026-04-06', '2026-04-06T02:43:45', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-04-06T24:00:00Z', '2026-04-06T02:43:4xZ', 'HEART_RATE_ZONE_TYPE_UNSPECIFIED', '04/06/26 04:00:00']) {
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
