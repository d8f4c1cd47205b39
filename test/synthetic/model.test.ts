import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearSyntheticDayCache, dayTotals, syntheticDay, localToUtc, TRACKER, PHONE, type SyntheticDay } from '../../src/synthetic/index.js';
import { addDays, zoneOffset } from '../../src/time/index.js';

const TZ = 'America/New_York';
const day = (date: string, seed = 7, timezone = TZ): SyntheticDay => syntheticDay({ seed, date, timezone });

test('a day is deterministic and independent of what was generated before', () => {
  const a = JSON.stringify(day('2026-04-10'));
  clearSyntheticDayCache();
  for (let i = 0; i < 6; i++) day(addDays('2026-01-01', i * 13), 7);
  clearSyntheticDayCache();
  const b = JSON.stringify(day('2026-04-10'));
  assert.equal(a, b);
  assert.notEqual(JSON.stringify(day('2026-04-10', 8)), a, 'another seed gives another day');
});

test('heart rate: 12k–40k samples a day, 1–15 s apart while worn, inside the local day', () => {
  for (let i = 0; i < 40; i++) {
    const d = day(addDays('2026-02-20', i));
    const hr = d.heartRate;
    assert.ok(hr.t.length >= 12_000 && hr.t.length <= 40_000, `${d.date}: ${hr.t.length} samples`);
    assert.equal(hr.source, TRACKER);
    for (let k = 0; k < hr.t.length; k++) {
      const t = hr.t[k] as number;
      assert.ok(t >= d.start && t < d.end, `${d.date}: sample outside the local day`);
      assert.equal(t % 1000, 0);
      const v = hr.v[k] as number;
      assert.ok(Number.isInteger(v) && v >= 38 && v <= 200, `bpm ${v}`);
      if (k) {
        const gap = t - (hr.t[k - 1] as number);
        assert.ok(gap >= 1000, 'strictly increasing');
        if (gap > 15_000) {
          const prev = hr.t[k - 1] as number;
          // a gap longer than 15 s only around a not-worn block
          assert.ok(
            d.worn.some((w) => w.start > prev && w.start <= t) || d.worn.some((w) => w.end > prev && w.end <= t),
            `${d.date}: ${gap / 1000}s gap while worn`,
          );
        }
      }
    }
  }
});

test('DST days in America/New_York have 23 and 25 hours and correct offsets', () => {
  const spring = day('2026-03-08');
  assert.equal(spring.end - spring.start, 23 * 3_600_000);
  assert.equal(spring.startOffset, -300);
  assert.equal(spring.endOffset, -240);
  assert.equal(spring.minutes.t.length, 23 * 60);
  const fall = day('2026-11-01');
  assert.equal(fall.end - fall.start, 25 * 3_600_000);
  assert.equal(fall.startOffset, -240);
  assert.equal(fall.endOffset, -300);
  assert.equal(fall.calories[0]?.t.length, 25 * 60);
  for (const d of [spring, fall]) {
    const hr = d.heartRate;
    for (let k = 0; k < hr.t.length; k += 97) {
      assert.equal(hr.offset[k], zoneOffset(TZ, hr.t[k] as number), `${d.date} offset at ${new Date(hr.t[k] as number).toISOString()}`);
    }
    for (const s of d.sleeps) for (const g of s.segments) assert.equal(g.startOffset, zoneOffset(TZ, g.start));
  }
  // the spring-forward switch is at 07:00Z
  const t = Date.UTC(2026, 2, 8, 7, 0, 0);
  assert.equal(zoneOffset(TZ, t - 1000), -300);
  assert.equal(zoneOffset(TZ, t), -240);
  assert.equal(localToUtc(TZ, '2026-03-08', 0), Date.UTC(2026, 2, 8, 5));
  assert.equal(localToUtc(TZ, '2026-11-01', 90), Date.UTC(2026, 10, 1, 5, 30), 'the overlap resolves to the first 01:30');
  assert.equal(localToUtc('Asia/Kolkata', '2026-01-01', 0), Date.UTC(2025, 11, 31, 18, 30));
});

test('sleep: one main sleep from the previous evening, contiguous stages; sleep-derived series', () => {
  let naps = 0;
  for (let i = 0; i < 60; i++) {
    const d = day(addDays('2026-01-01', i));
    const mains = d.sleeps.filter((s) => s.mainSleep);
    assert.equal(mains.length, 1);
    const m = mains[0]!;
    assert.equal(m.type, 'stages');
    const startHourLocal = new Date(m.start + m.startOffset * 60_000).getUTCHours();
    assert.ok(startHourLocal >= 21 || startHourLocal <= 1, `${d.date}: main sleep starts at ${startHourLocal}h`);
    assert.equal(m.segments[0]?.start, m.start);
    assert.equal(m.segments.at(-1)?.end, m.end);
    for (let k = 1; k < m.segments.length; k++) assert.equal(m.segments[k]?.start, m.segments[k - 1]?.end);
    for (const g of m.segments) assert.ok(['wake', 'light', 'deep', 'rem'].includes(g.level));
    assert.ok(m.end - m.start >= 5 * 3_600_000 && m.end - m.start <= 11 * 3_600_000);
    naps += d.sleeps.length - 1;
    for (const h of d.hrv) assert.ok(h.t >= m.start && h.t < m.end);
    for (const x of d.spo2.t) assert.ok(x >= m.start && x < m.end);
    assert.ok(d.hrv.length > 40, 'HRV about every 5 min');
    assert.ok(d.spo2.t.length > 250, 'SpO2 about every minute');
  }
  assert.ok(naps > 0, 'some naps');
});

test('steps, distance, calories and sources are consistent; totals add up', () => {
  let phoneRows = 0;
  for (let i = 0; i < 20; i++) {
    const d = day(addDays('2026-05-01', i));
    const g = d.minutes;
    const M = (d.end - d.start) / 60_000;
    assert.equal(g.t.length, M);
    for (const s of [...d.steps, ...d.distance])
      assert.ok(
        s.v.every((v) => v > 0),
        'no zero rows in the CSV layer',
      );
    const [st, sp] = d.steps;
    assert.equal(st?.source, TRACKER);
    assert.equal(sp?.source, PHONE);
    phoneRows += sp?.t.length ?? 0;
    // JSON grid = tracker value where the tracker has a row, else the phone's
    const byT = new Map<number, number>();
    sp?.t.forEach((t, k) => byT.set(t, sp.v[k] as number));
    st?.t.forEach((t, k) => byT.set(t, st.v[k] as number));
    for (let k = 0; k < M; k++) assert.equal(g.steps[k], byT.get(g.t[k] as number) ?? 0);
    // calories every minute, 0.9–20 kcal
    const cal = d.calories[0]!;
    assert.equal(cal.t.length, M);
    assert.ok(cal.v.every((v) => v >= 0.9 && v < 20));
    const tot = dayTotals(d);
    assert.equal(tot.heart_rate?.[TRACKER]?.count, d.heartRate.t.length);
    assert.equal(
      tot.steps?.[TRACKER]?.sum,
      st?.v.reduce((a, b) => a + b, 0),
    );
    assert.equal(tot.calories?.[TRACKER]?.first, d.start);
    const calSum = cal.v.reduce((a, b) => a + b, 0);
    assert.ok(calSum > 1300 && calSum < 4500, `daily energy ${calSum}`);
  }
  assert.ok(phoneRows > 0, 'the phone contributes some minutes');
});

test('weights: pounds in the JSON, grams in the CSV, the same instant', () => {
  let n = 0;
  for (let i = 0; i < 60; i++) {
    for (const w of day(addDays('2026-01-01', i)).weights) {
      n++;
      assert.equal(w.grams, Math.round(w.lb * 453.59237));
      assert.equal(w.kg, w.grams / 1000);
      assert.ok(Math.abs(w.kg - w.lb * 0.45359237) < 0.05);
      assert.ok(w.bmi > 12 && w.bmi < 45);
    }
  }
  assert.ok(n > 3, 'an occasional weight');
});
