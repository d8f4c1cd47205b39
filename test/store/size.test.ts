/**
 * Disk footprint: whole database file size / samples for a week of heart rate (target ≤ 4 bytes
 * per sample, also with shuffled values). Prints the figures and, for information only, the codec
 * speed (no timing assertions).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/store.js';
import { decodeColumns, encodeColumns, toColumns } from '../../src/store/codec.js';
import { dayStart, utcDay } from '../../src/time/index.js';
import type { Sample, SeriesKey } from '../../src/store/types.js';
import { mulberry32 } from '../../src/synthetic/prng.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fb-store-size-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const HR: SeriesKey = { account: 'me', metric: 'heart_rate', source: 'Inspire 3' };
const D0 = utcDay(Date.UTC(2026, 3, 6));

/**
 * A week of realistic heart rate: whole-second stamps, gaps of 1–15 s in regimes (workout 1–2 s,
 * active 1–5 s, rest/sleep 5–15 s) switching every 10–60 minutes, an hour a day off the wrist
 * (charging), and a mean-reverting random walk of values within 40–180 bpm. New York offsets with
 * no DST change in the week.
 */
function week(seed: number): Sample[][] {
  const r = mulberry32(seed);
  const days: Sample[][] = [];
  let v = 65;
  for (let d = 0; d < 7; d++) {
    const out: Sample[] = [];
    const start = dayStart(D0 + d);
    const end = start + 86_400_000;
    const chargeFrom = start + Math.floor(r() * 20) * 3_600_000;
    let t = start + Math.floor(r() * 5) * 1000;
    let regimeEnd = t;
    let lo = 1;
    let hi = 5;
    while (t < end) {
      if (t >= regimeEnd) {
        const x = r();
        [lo, hi] = x < 0.15 ? [1, 2] : x < 0.55 ? [1, 5] : [5, 15];
        regimeEnd = t + (10 + Math.floor(r() * 50)) * 60_000;
      }
      if (t >= chargeFrom && t < chargeFrom + 3_600_000) {
        t = chargeFrom + 3_600_000;
        continue;
      }
      const target = lo === 1 && hi === 2 ? 140 : lo === 1 ? 85 : 60;
      v += Math.round((r() - 0.5) * 4 + (target - v) * 0.02);
      v = Math.max(40, Math.min(180, v));
      out.push({ t, offset: -240, v });
      t += (lo + Math.floor(r() * (hi - lo + 1))) * 1000;
    }
    days.push(out);
  }
  return days;
}

function shuffleValues(days: Sample[][], seed: number): Sample[][] {
  const r = mulberry32(seed);
  return days.map((day) => {
    const vs = day.map((s) => s.v);
    for (let i = vs.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [vs[i], vs[j]] = [vs[j]!, vs[i]!];
    }
    return day.map((s, i) => ({ ...s, v: vs[i]! }));
  });
}

function uniformValues(days: Sample[][], seed: number): Sample[][] {
  const r = mulberry32(seed);
  return days.map((day) => day.map((s) => ({ ...s, v: 40 + Math.floor(r() * 141) })));
}

function bytesPerSample(name: string, days: Sample[][]): number {
  const p = join(tmp, name, 'store.db');
  const store = openStore(p);
  let n = 0;
  const t0 = performance.now();
  for (const day of days) {
    n += store.writeSamples(HR, day, { exportMs: 1 }).added;
  }
  const ms = performance.now() - t0;
  // re-importing changes nothing
  for (const day of days) assert.equal(store.writeSamples(HR, day, { exportMs: 1 }).unchanged, day.length);
  store.close();
  const size = statSync(p).size;
  const bps = size / n;
  const perDay = Math.round(n / days.length);
  console.log(
    `store size, ${name}: ${n} samples (${perDay}/day), file ${size} bytes = ${bps.toFixed(3)} bytes/sample; wrote ${(n / ms / 1000).toFixed(2)} M samples/s`,
  );
  return bps;
}

test('a week of heart rate takes < 4 bytes/sample on disk (smooth, shuffled, uniform random)', () => {
  const smooth = week(1);
  const perDay = smooth.map((d) => d.length);
  assert.ok(Math.min(...perDay) > 12_000 && Math.max(...perDay) < 40_000, `samples per day: ${perDay.join(', ')}`);
  const a = bytesPerSample('smooth', smooth);
  const b = bytesPerSample('shuffled', shuffleValues(smooth, 2));
  const c = bytesPerSample('uniform-40-180', uniformValues(smooth, 3));
  assert.ok(a < 4, `smooth: ${a} bytes/sample`);
  assert.ok(b < 4, `shuffled: ${b} bytes/sample`);
  assert.ok(c < 4, `uniform: ${c} bytes/sample`);
});

test('codec speed (informational)', () => {
  const smooth = week(5);
  for (const [name, days] of [
    ['smooth', smooth],
    ['uniform-40-180', uniformValues(smooth, 6)],
  ] as const) {
    const cols = days.map((d) => toColumns(d));
    const n = cols.reduce((s, c) => s + c.n, 0);
    let bytes = 0;
    let bufs: Buffer[] = [];
    const rounds = 5;
    let t0 = performance.now();
    for (let r = 0; r < rounds; r++) bufs = cols.map((c) => encodeColumns(c));
    const enc = performance.now() - t0;
    t0 = performance.now();
    for (let r = 0; r < rounds; r++) for (const b of bufs) decodeColumns(b);
    const dec = performance.now() - t0;
    for (const b of bufs) bytes += b.length;
    const back = bufs.map((b) => decodeColumns(b));
    assert.deepEqual(
      back.map((c) => c.n),
      cols.map((c) => c.n),
    );
    console.log(
      `codec, ${name}: ${(bytes / n).toFixed(3)} bytes/sample in blocks; encode ${((n * rounds) / enc / 1000).toFixed(1)} M samples/s, decode ${((n * rounds) / dec / 1000).toFixed(1)} M samples/s`,
    );
  }
});
