/**
 * rollUp per source family into a real store: the tracker family (`google-wearables`) is stored
 * under its own source, all sources only in the minutes the tracker leaves empty, so the phone's
 * and the watch's minutes are never both counted (the all-sources rollUp sums them, as reported
 * live). Late tracker data removes the all-sources value of that minute.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyPage } from '../../src/sources/google-health/apply.js';
import { ROLLUP_SOURCE, WEARABLES_ROLLUP_SOURCE, dataType, familyName, type SourceFamily } from '../../src/sources/google-health/datatypes.js';
import { mapPage } from '../../src/sources/google-health/mapping.js';
import type { Store } from '../../src/store/types.js';
import { Zone } from '../../src/time/index.js';
import { Tmp } from './helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

const zone = new Zone('Europe/Berlin');
const M = 60_000;
const T0 = Date.UTC(2026, 5, 1, 10, 0);

function page(family: SourceFamily, kcal: Record<number, number>): unknown {
  return {
    rollupDataPoints: Object.entries(kcal).map(([i, v]) => ({
      startTime: new Date(T0 + Number(i) * M).toISOString(),
      endTime: new Date(T0 + (Number(i) + 1) * M).toISOString(),
      totalCalories: { kcalSum: v },
    })),
    // (the family is only in the request; kept here to name the page)
    family,
  };
}

function put(store: Store, family: SourceFamily, kcal: Record<number, number>, at: number): number {
  const mapped = mapPage(dataType('total-calories'), page(family, kcal), { account: 'a', zone, page: family, family: familyName(family) });
  return store.write(() => applyPage(store, 'a', mapped, at)).yielded;
}

function minutes(store: Store, source: string): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of store.iterateSamples({ account: 'a', metric: 'calories', source })) out[(s.t - T0) / M] = s.v;
  return out;
}

describe('rollUp source families in the store', () => {
  it('the tracker family wins minute by minute; all sources fill only the minutes it leaves empty', () => {
    const store = tmp.store();
    // minutes 0, 1: watch 1.2 and phone 1.1 → all sources report the sum; minute 2: phone only
    assert.equal(put(store, 'google-wearables', { 0: 1.2, 1: 1.3 }, 1000), 0);
    assert.equal(put(store, 'all-sources', { 0: 2.3, 1: 2.4, 2: 1.1 }, 1000), 2);
    assert.deepEqual(minutes(store, WEARABLES_ROLLUP_SOURCE), { 0: 1.2, 1: 1.3 });
    assert.deepEqual(minutes(store, ROLLUP_SOURCE), { 2: 1.1 });
    const total = Object.values({ ...minutes(store, ROLLUP_SOURCE), ...minutes(store, WEARABLES_ROLLUP_SOURCE) }).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 3.6) < 1e-9, `the day's total counts each minute once: ${total}`);
  });

  it('a tracker minute that arrives late replaces the all-sources value stored for it', () => {
    const store = tmp.store();
    put(store, 'google-wearables', { 0: 1.2 }, 1000);
    put(store, 'all-sources', { 0: 2.3, 3: 1.0 }, 1000);
    assert.deepEqual(minutes(store, ROLLUP_SOURCE), { 3: 1.0 });
    // the watch syncs minute 3 later: the next pass re-reads the window, tracker family first
    put(store, 'google-wearables', { 0: 1.2, 3: 0.8 }, 2000);
    put(store, 'all-sources', { 0: 2.3, 3: 1.8 }, 2000);
    assert.deepEqual(minutes(store, WEARABLES_ROLLUP_SOURCE), { 0: 1.2, 3: 0.8 });
    assert.deepEqual(minutes(store, ROLLUP_SOURCE), {}, 'the phone-only value of minute 3 is gone');
  });

  it('a page without a family (kept before families were asked) is all sources, as before', () => {
    const store = tmp.store();
    const mapped = mapPage(dataType('total-calories'), page('all-sources', { 0: 2.3 }), { account: 'a', zone, page: 'old' });
    store.write(() => applyPage(store, 'a', mapped, 1000));
    assert.deepEqual(minutes(store, ROLLUP_SOURCE), { 0: 2.3 });
  });
});
