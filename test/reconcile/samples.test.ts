/** The pure sample rules of src/reconcile/samples.ts (same measurement in two layers). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addCounts, countsFrom, emptyCounts, matchLegacy, pointsOf, ruleOf, totalMerged, weighInStepKg, type Points } from '../../src/reconcile/samples.js';
import type { Sample } from '../../src/store/types.js';

const EDT = -240;
const at = (iso: string, v: number, offset = EDT): Sample => ({ t: Date.parse(iso), offset, v });
const pts = (...s: Sample[]): Points => pointsOf(s);
const dropped = (m: { drop: Uint8Array }): number[] => [...m.drop].flatMap((d, i) => (d ? [i] : []));

describe('ruleOf', () => {
  it('intraday metrics by instant, daily metrics by local day, weight by weigh-in, sessions none', () => {
    assert.equal(ruleOf('heart_rate'), 'instant');
    assert.equal(ruleOf('hrv_rmssd'), 'instant');
    assert.equal(ruleOf('calories'), 'instant');
    assert.equal(ruleOf('hrv_daily_rmssd'), 'day');
    assert.equal(ruleOf('respiratory_rate'), 'day');
    assert.equal(ruleOf('resting_heart_rate'), 'day');
    assert.equal(ruleOf('weight'), 'weigh-in');
    assert.equal(ruleOf('sleep'), null);
  });
});

describe('instant rule', () => {
  it('the same instant is the same sample whatever the values: 86 vs 88 bpm is one sample, one layer disagreement', () => {
    const legacy = pts(at('2026-04-06T04:00:00Z', 63), at('2026-04-06T04:00:05Z', 86), at('2026-04-06T04:00:10Z', 65));
    const csv = pts(at('2026-04-06T04:00:00Z', 63), at('2026-04-06T04:00:05Z', 88), at('2026-04-06T04:00:15Z', 66));
    const m = matchLegacy('heart_rate', legacy, [csv]);
    assert.deepEqual(dropped(m), [0, 1]);
    assert.deepEqual(m.counts, { intraday: 2, layerDisagreements: 1, daily: 0, dailyDisagreements: 0, weighIns: 0 });
  });

  it('within the tolerance is no disagreement; any source agreeing is enough', () => {
    const legacy = pts(at('2026-04-06T04:01:00Z', 12.4), at('2026-04-06T04:02:00Z', 5));
    const tracker = pts(at('2026-04-06T04:01:00Z', 12), at('2026-04-06T04:02:00Z', 30));
    const phone = pts(at('2026-04-06T04:02:00Z', 5));
    const m = matchLegacy('steps', legacy, [tracker, phone]);
    assert.deepEqual(dropped(m), [0, 1]);
    assert.equal(m.counts.layerDisagreements, 0);
  });

  it('HRV Details (3 decimals) vs the Google CSV: same instant, values further apart than 0.01 ms', () => {
    const m = matchLegacy('hrv_rmssd', pts(at('2026-04-14T05:05:00Z', 35.948)), [pts(at('2026-04-14T05:05:00Z', 35.2))]);
    assert.deepEqual(m.counts, { intraday: 1, layerDisagreements: 1, daily: 0, dailyDisagreements: 0, weighIns: 0 });
  });

  it('a second apart is another sample; no others, nothing matched', () => {
    assert.equal(matchLegacy('heart_rate', pts(at('2026-04-06T04:00:06Z', 86)), [pts(at('2026-04-06T04:00:05Z', 86))]).dropped, 0);
    assert.equal(matchLegacy('heart_rate', pts(at('2026-04-06T04:00:05Z', 86)), []).dropped, 0);
  });
});

describe('day rule', () => {
  it('one value per local day: the Google value wins, a difference beyond the tolerance is a daily disagreement', () => {
    const legacy = pts(at('2026-04-14T04:00:00Z', 36.1), at('2026-04-15T04:00:00Z', 40));
    const google = pts(at('2026-04-14T04:00:00Z', 36.4));
    const m = matchLegacy('hrv_daily_rmssd', legacy, [google]);
    assert.deepEqual(dropped(m), [0]);
    assert.deepEqual(m.counts, { intraday: 0, layerDisagreements: 0, daily: 1, dailyDisagreements: 1, weighIns: 0 });
    assert.equal(matchLegacy('resting_heart_rate', pts(at('2026-04-05T04:00:00Z', 53.01)), [pts(at('2026-04-05T04:00:00Z', 53))]).counts.dailyDisagreements, 0);
  });

  it('local days, not instants: a value stamped at another instant of the same local day is that value', () => {
    // local midnight in New York (04:00Z) vs a value stamped 23:30 local the same day (03:30Z next UTC day)
    const m = matchLegacy('respiratory_rate', pts(at('2026-04-14T04:00:00Z', 14.6)), [pts(at('2026-04-15T03:30:00Z', 14.8))]);
    assert.equal(m.counts.daily, 1);
    // 00:30 local the next day is another day
    assert.equal(matchLegacy('respiratory_rate', pts(at('2026-04-14T04:00:00Z', 14.6)), [pts(at('2026-04-15T04:30:00Z', 14.8))]).dropped, 0);
  });
});

describe('weigh-in rule', () => {
  it("the JSON's placeholder 23:59:59 (104.9 lb) and weight.csv's real instant 45 g away (47,627 g) are one weigh-in", () => {
    const json = at('2026-04-06T03:59:59Z', Math.round(104.9 * 0.45359237 * 1e6) / 1e6); // 04/05/26 23:59:59 EDT
    const csv = at('2026-04-05T12:10:31Z', 47.627);
    const m = matchLegacy('weight', pts(json), [pts(csv)]);
    assert.deepEqual(dropped(m), [0]);
    assert.deepEqual(m.counts, { intraday: 0, layerDisagreements: 0, daily: 0, dailyDisagreements: 0, weighIns: 1 });
  });

  it('another local day, or a weight more than one rounding step away, is another weigh-in', () => {
    const json = at('2026-04-06T03:59:59Z', 110 * 0.45359237);
    assert.equal(matchLegacy('weight', pts(json), [pts(at('2026-04-05T12:10:31Z', 47.627))]).dropped, 0);
    const nextDay = at('2026-04-07T03:59:59Z', 104.9 * 0.45359237);
    assert.equal(matchLegacy('weight', pts(nextDay), [pts(at('2026-04-05T12:10:31Z', 47.627))]).dropped, 0);
  });

  it('rounding step: 0.1 lb for pound values, 0.1 kg otherwise (plus a gram)', () => {
    assert.ok(Math.abs(weighInStepKg(104.9 * 0.45359237) - 0.046359) < 1e-6);
    assert.ok(Math.abs(weighInStepKg(47.6) - 0.101) < 1e-9);
  });
});

describe('counts', () => {
  it('add, total, parse back from JSON', () => {
    const a = addCounts(emptyCounts(), { intraday: 3, layerDisagreements: 1, daily: 2, dailyDisagreements: 1, weighIns: 1 });
    assert.equal(totalMerged(a), 6);
    assert.deepEqual(countsFrom(JSON.parse(JSON.stringify(a))), a);
    assert.deepEqual(countsFrom({ intraday: 'x', daily: -1, weighIns: 2 }), { ...emptyCounts(), weighIns: 2 });
    assert.deepEqual(countsFrom(null), emptyCounts());
  });
});
