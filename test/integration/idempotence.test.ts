/**
 * Re-importing changes nothing; overlapping exports add up to one long export; the two Takeout
 * layers give the same store whichever is imported first.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { storeDigest } from '../../src/store/digest.js';
import type { Store } from '../../src/store/types.js';
import { rangeTotals } from '../../src/synthetic/index.js';
import { addDays } from '../../src/time/index.js';
import type { ImportSummary } from '../../src/sources/takeout/import.js';
import { SEED, TZ, Tmp, copySubset, digestOfImport, generate, runImport } from './helpers.js';
import { compareWithTruth } from './truth.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

const END = '2026-03-12';
const START = addDays(END, -9); // 10 full days: 03-03 … 03-12, DST switch on 03-08

function totalAdded(s: ImportSummary): number {
  return Object.values(s.metrics).reduce((a, m) => a + m.added + m.changed, 0) + Object.values(s.sessions).reduce((a, x) => a + x.added, 0);
}

describe('importing the same export twice', () => {
  let store: Store;
  let first: ImportSummary;
  let second: ImportSummary;
  let seq1 = 0;
  let digest1 = '';
  before(async () => {
    const g = await generate(tmp, { format: 'zip', days: 4, endDate: '2026-03-09' });
    store = tmp.store();
    first = await runImport(store, g.inputs);
    seq1 = store.currentSeq();
    digest1 = storeDigest(store);
    second = await runImport(store, g.inputs);
  });

  it('the first import adds samples and sessions', () => {
    assert.equal(first.exitCode, 0);
    assert.ok(totalAdded(first) > 1000, `added ${totalAdded(first)}`);
  });

  it('the second adds and changes nothing, with no conflicts', () => {
    assert.equal(second.exitCode, 0);
    assert.equal(totalAdded(second), 0, JSON.stringify({ metrics: second.metrics, sessions: second.sessions }));
    assert.equal(second.conflicts, 0);
    assert.equal(second.files.imported, first.files.imported);
  });

  it('the change sequence and the content are unchanged', () => {
    assert.ok(seq1 > 0);
    assert.equal(store.currentSeq(), seq1);
    assert.equal(storeDigest(store), digest1);
  });
});

/*
 * Overlapping exports. Export A: full days 1–6 (03-03 … 03-08) plus, like every export, the CSV
 * layer of day 7 up to its export instant (03-09 12:00Z). Export B: full days 4–10 plus the
 * partial day 11. One long export C: days 1–10 plus the same partial day 11 (same export instant
 * as B). Every day's data depends only on (seed, date, zone), and A's partial day 7 is a prefix
 * of B's full day 7 with the same values, so A ∪ B must be exactly C: no edge effect is
 * expected, and the whole digest is compared (a difference would be a real bug: e.g. the
 * partial day's samples being treated differently, or day-spanning sleeps counted twice).
 */
describe('two overlapping exports (days 1–6 and 4–10) = one 10-day export', () => {
  let a: string[] = [];
  let b: string[] = [];
  let whole = '';
  before(async () => {
    a = (await generate(tmp, { format: 'zip', days: 6, endDate: addDays(START, 5) })).inputs;
    b = (await generate(tmp, { format: 'zip', days: 7, endDate: END })).inputs;
    whole = await digestOfImport(tmp, (await generate(tmp, { format: 'zip', days: 10, endDate: END })).inputs);
  });

  it('A then B', async () => {
    assert.equal(await digestOfImport(tmp, a, b), whole);
  });

  it('B then A (older export last: nothing it holds conflicts)', async () => {
    assert.equal(await digestOfImport(tmp, b, a), whole);
  });

  it('A and B in one run, and the result matches the truth of the 10 days (+ partial day 11)', async () => {
    const store = tmp.store();
    const s = await runImport(store, [...a, ...b]);
    assert.equal(s.exitCode, 0);
    assert.equal(s.conflicts, 0);
    assert.equal(storeDigest(store), whole);
    // the full days' truth is contained: compare the 10 full days only (partial day 11 excluded by a time window)
    const truth = rangeTotals({ seed: SEED, timezone: TZ, startDate: START, days: 10 });
    const bad = compareWithTruth(store, truth, { before: Date.UTC(2026, 2, 13, 4) /* 03-13 00:00 EDT */ });
    assert.deepEqual(bad, []);
  });
});

describe('JSON layer first or CSV layer first: the same store', () => {
  let jsonDir = '';
  let csvDir = '';
  let full = '';
  let jsonFirst = '';
  before(async () => {
    const g = await generate(tmp, { format: 'dir', days: 4, endDate: '2026-03-09' });
    const src = g.inputs[0] as string;
    const isJson = (rel: string): boolean => rel.includes('/Global Export Data/');
    const isProfile = (rel: string): boolean => rel.includes('/Your Profile/');
    // both halves carry Profile.csv (the zone of local-time files and the weight unit)
    jsonDir = copySubset(src, tmp.mkdir('json-only'), (rel) => isJson(rel) || isProfile(rel));
    csvDir = copySubset(src, tmp.mkdir('csv-only'), (rel) => !isJson(rel));
    full = await digestOfImport(tmp, [src]);
    jsonFirst = await digestOfImport(tmp, [jsonDir], [csvDir]);
  });

  it('JSON then CSV = CSV then JSON', async () => {
    const csvFirst = await digestOfImport(tmp, [csvDir], [jsonDir]);
    assert.equal(jsonFirst, csvFirst);
  });

  it('= the whole export in one import', async () => {
    assert.equal(jsonFirst, full);
  });

  it('the halves really are different data (each alone gives another store)', async () => {
    const j = await digestOfImport(tmp, [jsonDir]);
    const c = await digestOfImport(tmp, [csvDir]);
    assert.notEqual(j, full);
    assert.notEqual(c, full);
    assert.notEqual(j, c);
  });
});
