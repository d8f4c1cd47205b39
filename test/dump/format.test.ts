import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, csvLine, dateToDay, formatIsoFast, formatValue, renderSamples } from '../../src/sinks/dump/format.js';
import { dateOfDay, formatIso, localDayAtOffset, zoneOffset } from '../../src/time/index.js';

test('formatValue prints numbers minimally, without float noise or exponents', () => {
  assert.equal(formatValue(72), '72');
  assert.equal(formatValue(72.0), '72');
  assert.equal(formatValue(0.5), '0.5');
  assert.equal(formatValue(0.1 + 0.2), '0.3');
  assert.equal(formatValue(1.1 * 3), '3.3');
  assert.equal(formatValue(12.34 / 100), '0.1234');
  assert.equal(formatValue(-0), '0');
  assert.equal(formatValue(-3.25), '-3.25');
  assert.equal(formatValue(1e-7), '0.0000001');
  assert.equal(formatValue(1.5e21), '1500000000000000000000');
  assert.equal(formatValue(98.6), '98.6');
  assert.equal(formatValue(Number.NaN), '');
});

test('csvField quotes commas, quotes, newlines and edge spaces only', () => {
  assert.equal(csvField('Inspire 3'), 'Inspire 3');
  assert.equal(csvField('Pixel Watch, 2'), '"Pixel Watch, 2"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('a\nb'), '"a\nb"');
  assert.equal(csvField(' x'), '" x"');
  assert.equal(csvLine(['a', 'b,c', '']), 'a,"b,c",\n');
});

test('day helpers', () => {
  assert.equal(dateOfDay(dateToDay('2026-03-08')), '2026-03-08');
  assert.throws(() => dateToDay('2026-02-30', '--from'), /--from: expected a calendar date YYYY-MM-DD/);
  assert.throws(() => dateToDay('26-1-1'), /YYYY-MM-DD/);
  // 2026-04-06T02:00Z in New York (-04:00) is still the 5th.
  const t = Date.UTC(2026, 3, 6, 2, 0);
  assert.equal(dateOfDay(localDayAtOffset(t, -240)), '2026-04-05');
  assert.equal(dateOfDay(localDayAtOffset(t, 0)), '2026-04-06');
  assert.equal(zoneOffset('America/New_York', Date.UTC(2026, 2, 8, 6, 59)), -300);
  assert.equal(zoneOffset('America/New_York', Date.UTC(2026, 2, 8, 7, 0)), -240);
  assert.equal(zoneOffset('UTC', 0), 0);
  assert.equal(zoneOffset('Not/AZone', 0), null);
});

test('formatIsoFast prints exactly what formatIso prints', () => {
  let x = 12345;
  const rnd = (): number => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const offsets = [-300, -240, 0, 60, 330, 345, -570, 840, -720];
  let t = Date.UTC(2026, 2, 8, 6, 58, 59, 500);
  for (let i = 0; i < 20000; i++) {
    t += Math.floor(rnd() * 7000) + (i % 1000 === 0 ? 86_400_000 : 0);
    const off = offsets[Math.floor(rnd() * offsets.length)] ?? 0;
    assert.equal(formatIsoFast(t, off), formatIso(t, off));
  }
  const edge: Array<[number, number]> = [
    [-1, 0],
    [0, -300],
    [Date.UTC(1969, 11, 31, 23, 59, 59, 999), 60],
    [Date.UTC(2026, 3, 6, 4, 43, 45), -240],
  ];
  for (const [tt, off] of edge) assert.equal(formatIsoFast(tt, off), formatIso(tt, off));
  assert.equal(formatIsoFast(Date.UTC(2026, 3, 6, 4, 43, 45), -240), '2026-04-06T00:43:45-04:00');
});

test('renderSamples: csv and jsonl text', () => {
  const t = Date.UTC(2026, 3, 6, 14, 0);
  const xs = [
    { t, offset: -240, v: 11, source: 'Pixel Watch, 2' },
    { t: t + 60_000, offset: -240, v: 0.1 + 0.2, source: 'A "b"' },
  ];
  assert.equal(renderSamples('csv', xs), 'timestamp,value,source\n2026-04-06T10:00:00-04:00,11,"Pixel Watch, 2"\n2026-04-06T10:01:00-04:00,0.3,"A ""b"""\n');
  const lines = renderSamples('jsonl', xs)
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(lines, [
    { timestamp: '2026-04-06T10:00:00-04:00', value: 11, source: 'Pixel Watch, 2' },
    { timestamp: '2026-04-06T10:01:00-04:00', value: 0.3, source: 'A "b"' },
  ]);
  assert.equal(renderSamples('jsonl', []), '');
});
