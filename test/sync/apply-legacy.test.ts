/**
 * The Google Health API write path applies the rules of src/reconcile/samples.ts: a stored Takeout
 * legacy sample that is the same measurement as an API sample is removed, whatever the values
 * (intraday: same instant; daily: same local day).
 */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyPage } from '../../src/sources/google-health/apply.js';
import type { MappedPage, MappedSeries } from '../../src/sources/google-health/mapping.js';
import { LEGACY_JSON_SOURCE, type Sample, type SeriesKey } from '../../src/store/types.js';
import { Tmp } from './helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

const s = (iso: string, v: number): Sample => ({ t: Date.parse(iso), offset: -240, v });

function page(series: MappedSeries[]): MappedPage {
  return {
    series: new Map(series.map((x) => [`${x.metric}\u0000${x.source}`, x])),
    sessions: [],
    points: series.reduce((n, x) => n + x.samples.length, 0),
    skipped: 0,
    zeros: 0,
    notANumber: 0,
    unknownEnums: 0,
    warnings: [],
    minDay: null,
    maxDay: null,
    nextPageToken: null,
    yieldsTo: [],
  };
}

it('API samples replace the legacy twin: 86 vs 88 bpm at one instant, a daily value of the same local day', () => {
  const store = tmp.store();
  const leg = (metric: SeriesKey['metric']): SeriesKey => ({ account: 'a', metric, source: LEGACY_JSON_SOURCE });
  store.write(() => {
    store.writeSamples(leg('heart_rate'), [s('2026-04-06T04:00:05Z', 86), s('2026-04-06T04:00:10Z', 65)], { exportMs: 1 });
    store.writeSamples(leg('respiratory_rate'), [s('2026-04-14T04:00:00Z', 14.6)], { exportMs: 1 });
  });
  const r = store.write(() =>
    applyPage(
      store,
      'a',
      page([
        { metric: 'heart_rate', source: 'Inspire 3', samples: [s('2026-04-06T04:00:05Z', 88)] },
        { metric: 'respiratory_rate', source: 'Inspire 3', samples: [s('2026-04-14T04:00:00Z', 14.8)] },
      ]),
      2,
    ),
  );
  assert.equal(r.dedupedLegacy, 2);
  assert.deepEqual(
    [...store.iterateSamples(leg('heart_rate'))].map((x) => x.v),
    [65],
  );
  assert.deepEqual([...store.iterateSamples(leg('respiratory_rate'))], []);
});
