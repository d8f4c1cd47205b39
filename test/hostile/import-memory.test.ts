/**
 * Issue 13, bounded memory per file: a file is staged in batches while it is read
 * (src/store/staging.ts) and written in one transaction at its end, with the same store content
 * and counts as a file held whole; a file that fails or is stopped part-way leaves nothing in the
 * store; the per-file limits end that file with a clear error. Inputs are generated here.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InterruptedError } from '../../src/errors.js';
import { SqliteStore } from '../../src/store/store.js';
import { MAX_DAY_SAMPLES, MAX_FILE_SERIES, type ImportSummary } from '../../src/sources/takeout/import.js';
import { LEGACY_JSON_SOURCE, type Store } from '../../src/store/types.js';
import { FIXTURE, OLD_EXPORT, ROOT, Tmp, copyFixture, dumpStore, makeExport, runImport, zipFolder } from '../takeout/helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

const PROFILE = readFileSync(join(FIXTURE, ROOT, 'Your Profile/Profile.csv'));
const T0 = Date.UTC(2026, 3, 5, 22, 0, 0);
const pad = (n: number): string => String(n).padStart(2, '0');
const legacyStamp = (t: number): string => {
  const d = new Date(t);
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};
const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

/** Heart rate every 5 s over `n` samples from T0 (spans UTC days): a legacy JSON and a Google CSV, overlapping with some values apart. */
function legacyJson(n: number): string {
  const recs: string[] = [];
  for (let i = 0; i < n; i++) recs.push(`{"dateTime":"${legacyStamp(T0 + i * 5000)}","value":{"bpm":${60 + (i % 40)},"confidence":3}}`);
  return `[${recs.join(',')}]`;
}
function googleCsv(n: number, from = 0, extra = ''): string {
  const rows = ['timestamp,beats per minute,data source'];
  // every third instant of the JSON layer, some with another value (layer disagreements), and instants of its own
  for (let i = from; i < from + n; i++)
    rows.push(`${iso(T0 + i * 5000 + (i % 7 === 0 ? 2500 : 0))},${60 + (i % 40) + (i % 11 === 0 ? 9 : 0)},${i % 5 === 0 ? 'Pixel Watch' : 'Inspire 3'}`);
  return rows.join('\n') + '\n' + extra;
}

const strip = (s: ImportSummary): Omit<ImportSummary, 'warnings' | 'warningCount'> => {
  const { warnings: _w, warningCount: _c, ...rest } = s;
  return rest;
};

function exportOf(name: string, files: Record<string, string | Buffer>): string {
  return makeExport(tmp, name, { 'Your Profile/Profile.csv': PROFILE, ...files });
}

describe('import memory: files staged in batches', () => {
  const json = exportOf('takeout-20260415T120000Z-json', { 'Global Export Data/heart_rate-2026-04-05.json': legacyJson(60_000) });
  const csv = exportOf('takeout-20260416T120000Z-csv', { 'Physical Activity_GoogleData/heart_rate_2026-04-05.csv': googleCsv(60_000) });
  const both = exportOf('takeout-20260417T120000Z-both', {
    'Global Export Data/heart_rate-2026-04-05.json': legacyJson(60_000),
    'Physical Activity_GoogleData/heart_rate_2026-04-05.csv': googleCsv(60_000),
  });

  async function twice(order: string[][], batch: number): Promise<{ whole: Store; staged: Store; sw: ImportSummary[]; ss: ImportSummary[] }> {
    const whole = tmp.store(),
      staged = tmp.store();
    const sw: ImportSummary[] = [],
      ss: ImportSummary[] = [];
    for (const paths of order) {
      sw.push(await runImport(whole, paths, { batchSamples: Infinity }));
      ss.push(await runImport(staged, paths, { batchSamples: batch }));
    }
    return { whole, staged, sw, ss };
  }

  for (const [label, order] of [
    ['json first, then csv', [[json], [csv]]],
    ['csv first, then json', [[csv], [json]]],
    ['both layers in one export, imported twice', [[both], [both]]],
  ] as const) {
    it(`a file of many batches is stored exactly as one held whole (${label})`, async () => {
      const { whole, staged, sw, ss } = await twice(
        order.map((x) => [...x]),
        1000,
      );
      assert.deepEqual(dumpStore(staged), dumpStore(whole));
      assert.deepEqual(ss.map(strip), sw.map(strip));
      assert.equal(staged.currentSeq(), whole.currentSeq());
      const last = ss[ss.length - 1] as ImportSummary;
      assert.equal(last.exitCode, 0);
      assert.ok(whole.listSeries({ account: 'me', metric: 'heart_rate' }).some((s) => s.source === LEGACY_JSON_SOURCE && s.count > 0));
    });
  }

  it('the golden fixture (every file kind) is stored the same, one sample per batch', async () => {
    const archive = copyFixture(tmp, OLD_EXPORT + '-golden');
    const { whole, staged, sw, ss } = await twice([[archive], [archive]], 1);
    assert.deepEqual(dumpStore(staged), dumpStore(whole));
    assert.deepEqual(ss, sw);
  });

  it('a file that fails part-way (after several batches) leaves nothing of it in the store', async () => {
    const store = tmp.store();
    await runImport(store, [json], { batchSamples: 1000 });
    const before = dumpStore(store);
    const seq = store.currentSeq();
    const sources = Array.from({ length: MAX_FILE_SERIES + 1 }, (_, i) => `${iso(T0 + i * 1000)},70,device ${i}`).join('\n');
    const bad = exportOf('takeout-20260418T120000Z-bad', { 'Physical Activity_GoogleData/heart_rate_2026-04-05.csv': googleCsv(40_000, 0, sources + '\n') });
    const s = await runImport(store, [bad], { batchSamples: 1000 });
    assert.equal(s.exitCode, 1);
    assert.equal(s.files.failed.length, 1);
    assert.match(s.files.failed[0]!.error, new RegExp(`heart_rate_2026-04-05\\.csv: more than ${MAX_FILE_SERIES} series .* limit per file`));
    assert.deepEqual(dumpStore(store), before);
    assert.equal(store.currentSeq(), seq);
  });

  it('more samples of one series on one UTC day than the limit: that file fails with the limit, the next one is imported', async () => {
    const store = tmp.store();
    const line = `${iso(T0 + 3_600_000)},61,Inspire 3\n`;
    const dir = exportOf('takeout-20260419T120000Z-day', {
      'Physical Activity_GoogleData/heart_rate_2026-04-05.csv': 'timestamp,beats per minute,data source\n' + line.repeat(MAX_DAY_SAMPLES + 1),
      'Physical Activity_GoogleData/steps_2026-04-05.csv': `timestamp,steps,data source\n${iso(T0)},12,Inspire 3\n`,
    });
    const zip = await zipFolder(dir, tmp.path('day-limit.zip'));
    const s = await runImport(store, [zip]);
    assert.equal(s.exitCode, 1);
    assert.equal(s.files.failed.length, 1);
    assert.match(s.files.failed[0]!.error, /more than 1,000,000 samples of heart_rate on UTC day 2026-04-05: the limit per series and day/);
    assert.ok(s.files.failed[0]!.error.length < 400);
    assert.equal(store.listSeries({ account: 'me', metric: 'heart_rate' }).length, 0);
    assert.equal(s.metrics['steps']?.added, 1);
  });

  it('a stop signal between chunks: the file being read is not written, the summary says stopped', async () => {
    const store = tmp.store();
    const first = exportOf('takeout-20260420T120000Z-first', {
      'Physical Activity_GoogleData/steps_2026-04-05.csv': `timestamp,steps,data source\n${iso(T0)},12,Inspire 3\n`,
    });
    await runImport(store, [first]);
    const before = dumpStore(store);
    const seq = store.currentSeq();
    // a signal that is aborted once the file being read has staged a batch (its temp table exists):
    // part-way through the multi-chunk CSV, after batches were staged
    const db = (store as SqliteStore).db;
    const staged = (): boolean => (db.prepare("SELECT count(*) FROM sqlite_temp_master WHERE name LIKE 'fb_import_staged_%'").pluck().get() as number) > 0;
    let tripped = false;
    const signal = {
      get aborted(): boolean {
        tripped ||= staged();
        return tripped;
      },
      reason: undefined,
      throwIfAborted(): void {
        tripped ||= staged();
        if (tripped) throw new Error('aborted');
      },
      addEventListener(): void {},
      removeEventListener(): void {},
    } as unknown as AbortSignal;
    const s = await runImport(store, [csv], { batchSamples: 1000, signal, readAhead: false });
    assert.equal(s.stopped, true);
    assert.equal(s.exitCode, 1);
    assert.equal(s.files.failed.length, 1);
    assert.match(s.files.failed[0]!.error, /stopped while this file was read: nothing of it was written/);
    assert.deepEqual(dumpStore(store), before);
    assert.equal(store.currentSeq(), seq);
  });

  it('an aborted signal before the import: nothing is read, the import rejects with the reason', async () => {
    const store = tmp.store();
    const reason = new InterruptedError('import stopped (SIGTERM)', 'Run the same import again');
    await assert.rejects(runImport(store, [json], { signal: AbortSignal.abort(reason) }), (e) => e === reason);
    assert.equal(store.listSeries({ account: 'me' }).length, 0);
  });
});
