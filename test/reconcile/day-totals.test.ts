/** The source rank (src/reconcile/sources.ts) and the per-minute merge of day totals (src/reconcile/day-totals.ts), on real stores. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { dayTotals, windowTotal } from '../../src/reconcile/day-totals.js';
import { compareSources, rankSources, sourceTier } from '../../src/reconcile/sources.js';
import { computeLatest } from '../../src/sinks/latest.js';
import { LEGACY_JSON_SOURCE, type Sample, type SeriesKey } from '../../src/store/types.js';
import { dayNumber } from '../../src/time/index.js';
import { Tmp } from '../support/tmp.js';

const tmp = new Tmp('fb-daytotals-');
after(() => tmp.cleanup());

const EX = { exportMs: Date.UTC(2026, 4, 1) };
const MIN = 60_000;
const key = (metric: SeriesKey['metric'], source: string): SeriesKey => ({ account: 'me', metric, source });
/** `count` minute samples from `from` (UTC ms), at UTC offset `offset` (minutes east). */
function minutes(from: number, count: number, v: number, offset: number): Sample[] {
  return Array.from({ length: count }, (_, i) => ({ t: from + i * MIN, offset, v }));
}

describe('source rank', () => {
  test('tracker > phone / apps > legacy layer', () => {
    for (const s of ['Inspire 3', 'Pixel Watch 4', 'xiaomi', 'Google Health (wearables)', 'Fitbit (unnamed device)', 'Fitbit (unnamed watch)'])
      assert.equal(sourceTier(s), 'tracker', s);
    for (const s of [
      'Fitbit App',
      'Google Health (all sources)',
      'Fitbit (manual entry)',
      'com.xiaomi.wearable',
      'Google export',
      'Google Health (unknown device)',
    ])
      assert.equal(sourceTier(s), 'phone', s);
    assert.equal(sourceTier(LEGACY_JSON_SOURCE), 'legacy');
  });

  test('a total order, whatever the input order', () => {
    const names = [
      LEGACY_JSON_SOURCE,
      'Fitbit App',
      'Google Health (all sources)',
      'Google Health (wearables)',
      'Fitbit (unnamed device)',
      'Inspire 3',
      'com.xiaomi.wearable',
      'Charge 6',
    ];
    const expected = [
      'Charge 6',
      'Inspire 3',
      'Fitbit (unnamed device)',
      'Google Health (wearables)',
      'Fitbit App',
      'com.xiaomi.wearable',
      'Google Health (all sources)',
      LEGACY_JSON_SOURCE,
    ];
    assert.deepEqual(rankSources(names), expected);
    assert.deepEqual(rankSources([...names].reverse()), expected);
    assert.equal(compareSources('Inspire 3', 'Inspire 3'), 0);
    assert.ok(compareSources('Inspire 3', 'Fitbit App') < 0);
  });
});

describe('day totals merged per minute', () => {
  // 2026-04-06, America/New_York (EDT, UTC-4): local midnight 04:00Z
  const D = dayNumber('2026-04-06');
  const at = (h: number, m = 0): number => Date.UTC(2026, 3, 6, h + 4, m);

  test('a day split between the legacy layer and "Fitbit App" is the whole day', () => {
    const s = tmp.store();
    // 00:00–05:59 only in the legacy layer (zeros and some steps), 06:00–23:59 only in the CSV layer
    s.writeSamples(key('steps', LEGACY_JSON_SOURCE), [...minutes(at(0), 300, 0, -240), ...minutes(at(5), 60, 10, -240)], EX);
    s.writeSamples(key('steps', 'Fitbit App'), minutes(at(6), 18 * 60, 5, -240), EX);
    const [d] = dayTotals(s, 'me', 'steps', [D]);
    assert.equal(d!.value, 600 + 18 * 60 * 5);
    assert.equal(d!.minutes, 24 * 60);
    assert.equal(d!.t, at(0));
    assert.equal(d!.offset, -240);
  });

  test('a tracker and the phone counting the same walk count it once (the tracker); the phone fills the other minutes', () => {
    const s = tmp.store();
    s.writeSamples(key('steps', 'Inspire 3'), minutes(at(8), 30, 100, -240), EX); // 3000
    s.writeSamples(key('steps', 'Fitbit App'), minutes(at(8), 30, 120, -240), EX); // same walk, phone counts more
    s.writeSamples(key('steps', 'Fitbit App'), minutes(at(12), 10, 50, -240), EX); // tracker on the charger
    s.writeSamples(key('steps', LEGACY_JSON_SOURCE), minutes(at(8, 10), 5, 999, -240), EX);
    const [d] = dayTotals(s, 'me', 'steps', [D]);
    assert.equal(d!.value, 3000 + 500); // never 3600 (the larger source), never 3000 + 3600 (a sum)
    assert.equal(d!.minutes, 40);
    // the same merge for a window ("today so far")
    const w = windowTotal(s, s.listSeries({ account: 'me', metric: 'steps' }), at(0), at(24));
    assert.equal(w.value, 3500);
    assert.equal(w.t, at(12, 9));
  });

  test('energy: every minute of the day once, each from its best source', () => {
    const s = tmp.store();
    s.writeSamples(key('calories', 'Google Health (wearables)'), minutes(at(0), 12 * 60, 1.5, -240), EX);
    s.writeSamples(key('calories', 'Google Health (all sources)'), minutes(at(12), 12 * 60, 1.25, -240), EX);
    s.writeSamples(key('calories', LEGACY_JSON_SOURCE), minutes(at(0), 24 * 60, 1, -240), EX);
    const [d] = dayTotals(s, 'me', 'calories', [D]);
    assert.equal(d!.value, 720 * 1.5 + 720 * 1.25);
  });

  test('samples count on their own local day (by their stored offset); days without samples give nothing', () => {
    const s = tmp.store();
    s.writeSamples(key('steps', 'Inspire 3'), minutes(at(23, 50), 20, 1, -240), EX); // 10 today, 10 tomorrow
    const out = dayTotals(s, 'me', 'steps', [D - 1, D, D + 1, D + 2]);
    assert.deepEqual(
      out.map((x) => [x.day, x.value]),
      [
        [D, 10],
        [D + 1, 10],
      ],
    );
  });

  test('DST days: 23 and 25 local hours, stamped at the local midnight of the zone', () => {
    const s = tmp.store();
    // 2026-03-08: 02:00 EST → 03:00 EDT; local midnight 05:00Z. Steps only after the change.
    const spring = dayNumber('2026-03-08');
    s.writeSamples(key('steps', 'Inspire 3'), minutes(Date.UTC(2026, 2, 8, 13), 10, 7, -240), EX); // 09:00 EDT
    s.writeSamples(key('steps', 'Fitbit App'), minutes(Date.UTC(2026, 2, 8, 6), 10, 3, -300), EX); // 01:00 EST
    const [a] = dayTotals(s, 'me', 'steps', [spring], { timezone: 'America/New_York' });
    assert.equal(a!.value, 100);
    assert.equal(a!.t, Date.UTC(2026, 2, 8, 5));
    assert.equal(a!.offset, -300);
    // without a zone: the first sample's offset (here EST, the first sample is before the change)
    assert.equal(dayTotals(s, 'me', 'steps', [spring])[0]!.t, Date.UTC(2026, 2, 8, 5));
    // 2026-11-01: 02:00 EDT → 01:00 EST; 01:30 happens twice: two different minutes, both counted
    const fall = dayNumber('2026-11-01');
    s.writeSamples(key('steps', 'Inspire 3'), [{ t: Date.UTC(2026, 10, 1, 5, 30), offset: -240, v: 11 }], EX);
    s.writeSamples(key('steps', 'Inspire 3'), [{ t: Date.UTC(2026, 10, 1, 6, 30), offset: -300, v: 13 }], EX);
    s.writeSamples(key('steps', 'Inspire 3'), [{ t: Date.UTC(2026, 10, 2, 4, 59), offset: -300, v: 17 }], EX); // 23:59 EST
    const [b] = dayTotals(s, 'me', 'steps', [fall], { timezone: 'America/New_York' });
    assert.equal(b!.value, 41);
    assert.equal(b!.t, Date.UTC(2026, 10, 1, 4));
  });

  test('latest totals use the same merge (rank, not the larger source)', () => {
    const s = tmp.store();
    s.writeSamples(key('steps', 'Inspire 3'), minutes(at(8), 10, 10, -240), EX);
    s.writeSamples(key('steps', 'Fitbit App'), minutes(at(8), 10, 30, -240), EX); // more, but the phone
    s.writeSamples(key('steps', LEGACY_JSON_SOURCE), minutes(at(5), 10, 2, -240), EX);
    const l = computeLatest(s, 'me', { now: at(9), timezone: 'America/New_York' });
    assert.equal(l.values.steps_today.value, 100 + 20);
    assert.equal(l.values.steps_last_60_min.value, 100);
  });
});
