import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CODEC_VERSION, CodecError, chooseScale, decode, decodeColumns, encode } from '../../src/store/codec.js';
import type { Sample } from '../../src/store/types.js';
import { mulberry32 } from '../../src/synthetic/prng.js';

function roundTrip(samples: Sample[]): Buffer {
  const buf = encode(samples);
  assert.equal(buf[0], CODEC_VERSION);
  assert.deepStrictEqual(decode(buf), samples);
  return buf;
}

const T0 = Date.UTC(2026, 3, 6);

test('empty and single-sample blocks', () => {
  roundTrip([]);
  roundTrip([{ t: T0, offset: -240, v: 61 }]);
  roundTrip([{ t: 0, offset: 0, v: 0 }]);
  roundTrip([{ t: -86_400_000 * 400 + 17, offset: 60, v: 3 }]); // before 1970
});

test('whole seconds, minutes and millisecond instants', () => {
  const secs: Sample[] = [];
  const mins: Sample[] = [];
  const ms: Sample[] = [];
  const r = mulberry32(1);
  let t = T0;
  for (let i = 0; i < 5000; i++) {
    t += 1000 * (1 + Math.floor(r() * 15));
    secs.push({ t, offset: -240, v: 60 + Math.floor(r() * 40) });
    mins.push({ t: T0 + i * 60_000, offset: 120, v: Math.floor(i / 50) });
    ms.push({ t: T0 + i * 997 + Math.floor(r() * 500), offset: 0, v: i });
  }
  const a = roundTrip(secs);
  const b = roundTrip(mins);
  roundTrip(ms);
  assert.ok(a.length < secs.length * 2, `seconds block is ${a.length} bytes`);
  assert.ok(b.length < mins.length / 10, `regular minutes block is ${b.length} bytes`);
  // ms precision: neighbours 1 ms apart
  roundTrip([
    { t: T0, offset: 0, v: 1 },
    { t: T0 + 1, offset: 0, v: 2 },
    { t: T0 + 1001, offset: 0, v: 3 },
  ]);
});

test("negative offsets and DST changes within a day keep each sample's offset", () => {
  const s: Sample[] = [];
  // New York, 2026-03-08: 02:00 EST (07:00Z) jumps to 03:00 EDT
  const jump = Date.UTC(2026, 2, 8, 7);
  for (let t = Date.UTC(2026, 2, 8); t < Date.UTC(2026, 2, 9); t += 60_000) s.push({ t, offset: t < jump ? -300 : -240, v: 70 });
  roundTrip(s);
  // alternating offsets (a travelling user), half-hour and 45-minute offsets, extreme offsets
  roundTrip([
    { t: T0, offset: 330, v: 1 },
    { t: T0 + 1000, offset: -570, v: 2 },
    { t: T0 + 2000, offset: 345, v: 3 },
    { t: T0 + 3000, offset: 840, v: 4 },
    { t: T0 + 4000, offset: -720, v: 5 },
    { t: T0 + 5000, offset: 0, v: 6 },
  ]);
});

test('floats, scales, large and small values', () => {
  roundTrip([0.1, 0.2, 0.3, 62.5, -1.25].map((v, i) => ({ t: T0 + i * 1000, offset: 0, v })));
  roundTrip([0.000001, 1.000001, 123456.654321].map((v, i) => ({ t: T0 + i, offset: 0, v })));
  roundTrip([0.1 + 0.2, Math.PI, 1e-12, 6.02e23, -Number.MAX_VALUE, Number.MIN_VALUE].map((v, i) => ({ t: T0 + i, offset: 0, v })));
  roundTrip([2 ** 53 - 1, -(2 ** 53 - 1), 0, 2 ** 52].map((v, i) => ({ t: T0 + i, offset: 0, v })));
  roundTrip([-0, 0, 5].map((v, i) => ({ t: T0 + i, offset: 0, v }))); // -0 survives (float mode)
  const r = mulberry32(7);
  const kg: Sample[] = [];
  for (let i = 0; i < 1000; i++) kg.push({ t: T0 + i * 3_600_000, offset: 60, v: Math.round((70 + r() * 10) * 1000) / 1000 });
  roundTrip(kg);
  const noise: Sample[] = [];
  for (let i = 0; i < 1000; i++) noise.push({ t: T0 + i, offset: 0, v: (r() - 0.5) * 1e6 });
  roundTrip(noise);
});

test('chooseScale picks the smallest exact decimal scale', () => {
  const cols = (xs: number[]) => Float64Array.from(xs);
  assert.equal(chooseScale(cols([1, 2, 300]), 3), 0);
  assert.equal(chooseScale(cols([1, 2.5]), 2), 1);
  assert.equal(chooseScale(cols([0.1, 0.25, 1.125]), 3), 3);
  assert.equal(chooseScale(cols([0.000001]), 1), 6);
  assert.equal(chooseScale(cols([0.0000001]), 1), -1);
  assert.equal(chooseScale(cols([0.1 + 0.2]), 1), -1);
  assert.equal(chooseScale(cols([2 ** 53]), 1), -1);
});

test('rejects NaN, infinities, unsorted and duplicate instants with a clear error', () => {
  assert.throws(
    () => encode([{ t: T0, offset: 0, v: NaN }]),
    (e: unknown) => e instanceof CodecError && /finite/.test(e.message),
  );
  assert.throws(() => encode([{ t: T0, offset: 0, v: Infinity }]), CodecError);
  assert.throws(
    () =>
      encode([
        { t: T0, offset: 0, v: 1 },
        { t: T0, offset: 0, v: 2 },
      ]),
    /strictly increasing/,
  );
  assert.throws(
    () =>
      encode([
        { t: T0 + 1, offset: 0, v: 1 },
        { t: T0, offset: 0, v: 2 },
      ]),
    /strictly increasing/,
  );
  assert.throws(() => encode([{ t: T0 + 0.5, offset: 0, v: 1 }]), /integer/);
  assert.throws(() => encode([{ t: T0, offset: 1.5, v: 1 }]), /whole minutes/);
});

test('corrupt or unknown blocks fail loudly', () => {
  const buf = encode([
    { t: T0, offset: 0, v: 1 },
    { t: T0 + 5, offset: 0, v: 2 },
  ]);
  const future = Buffer.from(buf);
  future[0] = 99;
  assert.throws(() => decodeColumns(future), /version 99/);
  assert.throws(() => decodeColumns(Buffer.alloc(0)), CodecError);
  assert.throws(() => decodeColumns(Buffer.from([CODEC_VERSION, 1, 2, 3])), CodecError);
});

test('random blocks round-trip', () => {
  const r = mulberry32(42);
  for (let round = 0; round < 200; round++) {
    const n = Math.floor(r() * 300);
    const s: Sample[] = [];
    let t = Math.floor((r() - 0.5) * 4e12);
    let off = Math.floor((r() - 0.5) * 1600);
    const decimals = Math.floor(r() * 9);
    for (let i = 0; i < n; i++) {
      t += 1 + Math.floor(r() * (r() < 0.5 ? 10 : 1e7));
      if (r() < 0.02) off = Math.floor((r() - 0.5) * 1600);
      const raw = (r() - 0.3) * 10 ** Math.floor(r() * 8);
      const v = decimals > 6 ? raw : Math.round(raw * 10 ** decimals) / 10 ** decimals;
      s.push({ t, offset: off, v });
    }
    roundTrip(s);
  }
});
