/**
 * End to end against the generator's truth: a synthetic 10-day export (America/New_York, over the
 * 2026-03-08 DST switch) is imported and every metric and data source of the CSV layer is
 * compared with what the generator says it wrote: count, sum, first and last instant. Sessions:
 * count and summed duration of the takeout-csv layer. Then: the same export as zip, tgz and folder,
 * and with CRLF line ends + BOM, gives the same store (storeDigest).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { storeDigest } from '../../src/store/digest.js';
import { LEGACY_JSON_SOURCE, type Store } from '../../src/store/types.js';
import { rangeTotals, mergeTotals, type DayTotals } from '../../src/synthetic/index.js';
import type { ImportSummary } from '../../src/sources/takeout/import.js';
import { ACCOUNT, SEED, TZ, Tmp, digestOfImport, generate, runImport } from './helpers.js';
import { compareWithTruth } from './truth.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

describe('truth: 10 days over the DST switch (2026-03-03 … 2026-03-12, America/New_York)', () => {
  let store: Store;
  let summary: ImportSummary;
  let truth: DayTotals;
  let startDate = '';

  before(async () => {
    const g = await generate(tmp, { format: 'zip', days: 10, endDate: '2026-03-12' });
    truth = g.stats.totals;
    startDate = g.stats.startDate;
    store = tmp.store();
    summary = await runImport(store, g.inputs);
  });

  it('imports without failures, zone from Profile.csv', () => {
    assert.deepEqual(summary.files.failed, []);
    assert.equal(summary.exitCode, 0);
    assert.deepEqual(summary.zone, { name: TZ, from: 'profile' });
  });

  it('the generator reports the truth of its full days plus the partial export day', () => {
    // sanity of the oracle itself: rangeTotals over the full days is a strict part of the archive's truth
    const full = rangeTotals({ seed: SEED, timezone: TZ, startDate, days: 10 });
    const hrFull = full.heart_rate?.['Inspire 3'];
    const hrAll = truth.heart_rate?.['Inspire 3'];
    assert.ok(hrFull && hrAll && hrAll.count > hrFull.count, 'the partial day adds heart-rate samples');
    assert.deepEqual(Object.keys(mergeTotals({}, full)).sort(), Object.keys(truth).sort());
  });

  it('every metric and data source: count, sum, first and last equal the truth', () => {
    assert.deepEqual(compareWithTruth(store, truth), []);
  });

  it('no CSV-layer series the truth does not know (other than the legacy source)', () => {
    const extra = store
      .listSeries({ account: ACCOUNT })
      .filter((s) => s.source !== LEGACY_JSON_SOURCE && s.count > 0)
      .filter((s) => !truth[s.metric]?.[s.source])
      .map((s) => `${s.metric} / ${s.source} (${s.count})`);
    assert.deepEqual(extra, []);
  });

  it('samples across the DST switch carry the right offsets (-300 before, -240 after)', () => {
    const march7 = [
      ...store.iterateSamples({ account: ACCOUNT, metric: 'heart_rate', source: 'Inspire 3' }, Date.UTC(2026, 2, 7, 17), Date.UTC(2026, 2, 7, 18)),
    ];
    const march9 = [
      ...store.iterateSamples({ account: ACCOUNT, metric: 'heart_rate', source: 'Inspire 3' }, Date.UTC(2026, 2, 9, 17), Date.UTC(2026, 2, 9, 18)),
    ];
    assert.ok(march7.length > 0 && march9.length > 0);
    assert.ok(march7.every((s) => s.offset === -300));
    assert.ok(march9.every((s) => s.offset === -240));
  });
});

describe('the same export as zip, tgz, folder, and with CRLF + BOM gives the same store', () => {
  const base = { days: 4, endDate: '2026-03-09' } as const;
  let zip = '';
  before(async () => {
    zip = await digestOfImport(tmp, (await generate(tmp, { ...base, format: 'zip' })).inputs);
  });

  it('zip digest is not the digest of an empty store', () => {
    assert.notEqual(zip, storeDigest(tmp.store()));
  });

  it('tgz', async () => {
    assert.equal(await digestOfImport(tmp, (await generate(tmp, { ...base, format: 'tgz' })).inputs), zip);
  });

  it('extracted folder', async () => {
    assert.equal(await digestOfImport(tmp, (await generate(tmp, { ...base, format: 'dir' })).inputs), zip);
  });

  it('zip with CRLF line ends and a BOM in every text file', async () => {
    assert.equal(await digestOfImport(tmp, (await generate(tmp, { ...base, format: 'zip', crlf: true, bom: true })).inputs), zip);
  });

  it('a zip split into 3 parts', async () => {
    assert.equal(await digestOfImport(tmp, (await generate(tmp, { ...base, format: 'zip', parts: 3 })).inputs), zip);
  });
});
