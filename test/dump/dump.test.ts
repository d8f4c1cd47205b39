import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { openStore } from '../../src/store/store.js';
import type { Sample, SeriesKey, SessionRecord, Store } from '../../src/store/types.js';
import { formatDumpSummary, runDump, type DumpOptions } from '../../src/sinks/dump/index.js';
import { JOURNAL_FILE, STATE_FILE } from '../../src/sinks/dump/state.js';
import { zoneOffset } from '../../src/time/index.js';
import { silentLogger } from '../../src/util/log.js';

const NY = 'America/New_York';
const EXPORT = { exportMs: Date.UTC(2026, 4, 1) };

/** A sample at a New York wall-clock time given as UTC instant. */
function ny(iso: string, v: number): Sample {
  const t = Date.parse(iso);
  assert.ok(!Number.isNaN(t), iso);
  const offset = zoneOffset(NY, t);
  assert.notEqual(offset, null);
  return { t, offset: offset ?? 0, v };
}

/** Every file under dir (relative '/' paths) → content; the state file and manifest excluded. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p).split('\\').join('/'), readFileSync(p, 'utf8'));
    }
  };
  if (existsSync(dir)) walk(dir);
  out.delete(STATE_FILE);
  out.delete('manifest.json');
  return out;
}

function inodes(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const rel of snapshot(dir).keys()) out.set(rel, statSync(join(dir, rel)).ino);
  return out;
}

/** Data rows of a dump file (CSV: without the header). */
function dataRows(dir: string, rel: string): string[] {
  const lines = readFileSync(join(dir, rel), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  return rel.endsWith('.csv') ? lines.slice(1) : lines;
}

let tmp: string;
let store: Store;
let out: string;

const HR: SeriesKey = { account: 'me', metric: 'heart_rate', source: 'Inspire 3' };
const STEPS_A: SeriesKey = { account: 'me', metric: 'steps', source: 'Inspire 3' };
const STEPS_B: SeriesKey = { account: 'me', metric: 'steps', source: 'Pixel Watch, 2' };

function opts(extra: Partial<DumpOptions> = {}): DumpOptions {
  return { store, dir: out, format: 'csv', logger: silentLogger(), ...extra };
}

function sleepSession(extra: Partial<SessionRecord> = {}): SessionRecord {
  // 2026-04-05 23:10 → 2026-04-06 07:00 New York (EDT, -04:00).
  const start = Date.parse('2026-04-06T03:10:00Z');
  const end = Date.parse('2026-04-06T11:00:00Z');
  return {
    account: 'me',
    kind: 'sleep',
    source: 'Inspire 3',
    layer: 'takeout-csv',
    start,
    startOffset: -240,
    end,
    endOffset: -240,
    externalId: '42',
    mainSleep: true,
    segments: [
      { start, end: start + 30 * 60_000, stage: 'light' },
      { start: start + 30 * 60_000, end, stage: 'deep' },
    ],
    details: { minutesAsleep: 440 },
    ...extra,
  };
}

function seed(): void {
  store.setAccount({ name: 'me', profileId: null, timezone: NY });
  store.writeSamples(
    HR,
    [
      ny('2026-03-07T17:00:00Z', 70), // 12:00 EST on the 7th
      ny('2026-03-08T06:30:00Z', 61), // 01:30 EST on the 8th
      ny('2026-03-08T07:30:00Z', 62.5), // 03:30 EDT on the 8th (after the jump)
      ny('2026-04-06T02:00:00Z', 80), // 22:00 EDT on the 5th (UTC block of the 6th)
      ny('2026-04-06T04:43:45Z', 55), // 00:43:45 EDT on the 6th (UTC block of the 6th)
      ny('2026-04-07T02:00:00Z', 90), // 22:00 EDT on the 6th (UTC block of the 7th)
    ],
    EXPORT,
  );
  store.writeSamples(STEPS_A, [ny('2026-04-06T14:00:00Z', 12), ny('2026-04-06T14:01:00Z', 30)], EXPORT);
  store.writeSamples(STEPS_B, [ny('2026-04-06T14:00:00Z', 11), ny('2026-04-06T13:59:00Z', 5)], EXPORT);
  store.upsertSession(sleepSession());
  store.upsertSession(
    sleepSession({
      // a nap without stages, 2026-04-06 14:00–14:30 EDT
      start: Date.parse('2026-04-06T18:00:00Z'),
      end: Date.parse('2026-04-06T18:30:00Z'),
      externalId: '43',
      mainSleep: false,
      segments: [],
      details: {},
    }),
  );
  store.upsertSession({
    account: 'me',
    kind: 'exercise',
    source: 'Inspire 3',
    layer: 'takeout-json',
    start: Date.parse('2026-04-06T21:00:38Z'),
    startOffset: -240,
    end: Date.parse('2026-04-06T21:30:38Z'),
    endOffset: -240,
    externalId: '7',
    mainSleep: null,
    segments: [],
    details: { activityName: 'Walk', calories: 120, averageHeartRate: 101 },
  });
}

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fitbit-bridge-dump-'));
  store = openStore(join(tmp, 'store.db'));
  out = join(tmp, 'dump');
});

afterEach(() => {
  store.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('layout and content', () => {
  test('the day summary: merged totals, sleep and exercise seconds, daily values of the best source', async () => {
    seed();
    store.writeSamples({ account: 'me', metric: 'resting_heart_rate', source: 'Fitbit export (legacy)' }, [ny('2026-04-06T04:00:00Z', 56)], EXPORT);
    store.writeSamples({ account: 'me', metric: 'resting_heart_rate', source: 'Inspire 3' }, [ny('2026-04-06T04:00:00Z', 55)], EXPORT);
    // the phone counts a minute the trackers have too (14:01 UTC): the trackers' minute counts, once
    store.writeSamples({ account: 'me', metric: 'steps', source: 'Fitbit App' }, [ny('2026-04-06T14:01:00Z', 40), ny('2026-04-06T15:00:00Z', 3)], EXPORT);
    await runDump(opts());
    assert.equal(
      readFileSync(join(out, 'summary/2026-04-06.csv'), 'utf8'),
      [
        'figure,value,unit,source',
        'steps,50,steps,', // 13:59 Pixel Watch 5, 14:00 Inspire 3 12, 14:01 Inspire 3 30, 15:00 Fitbit App 3
        'sleep_main_asleep,28200,s,',
        'sleep_main_stage_deep,26400,s,',
        'sleep_main_stage_light,1800,s,',
        'sleep_nap_asleep,1800,s,',
        'exercise,1800,s,',
        'resting_heart_rate,55,bpm,Inspire 3',
        '',
      ].join('\n'),
    );
    // the day of the DST change has only heart rate: no summary file
    assert.ok(!existsSync(join(out, 'summary/2026-03-08.csv')));
    await runDump(opts({ format: 'jsonl' }));
    assert.deepEqual(dataRows(out, 'summary/2026-04-06.jsonl').slice(0, 1).concat(dataRows(out, 'summary/2026-04-06.jsonl').slice(-1)), [
      '{"figure":"steps","value":50,"unit":"steps","source":null}',
      '{"figure":"resting_heart_rate","value":55,"unit":"bpm","source":"Inspire 3"}',
    ]);
    // several accounts: <dir>/<account>/summary/…
    store.writeSamples({ account: 'you', metric: 'steps', source: 'Inspire 3' }, [ny('2026-04-06T14:00:00Z', 9)], EXPORT);
    await runDump(opts());
    assert.equal(readFileSync(join(out, 'you/summary/2026-04-06.csv'), 'utf8'), 'figure,value,unit,source\nsteps,9,steps,\n');
    assert.ok(existsSync(join(out, 'me/summary/2026-04-06.csv')));
  });

  test('one file per local day, header, offsets across the DST change', async () => {
    seed();
    const s = await runDump(opts());
    assert.equal(s.full, true);
    assert.equal(
      readFileSync(join(out, 'heart_rate/2026-03-08.csv'), 'utf8'),
      'timestamp,value,source\n2026-03-08T01:30:00-05:00,61,Inspire 3\n2026-03-08T03:30:00-04:00,62.5,Inspire 3\n',
    );
    assert.equal(readFileSync(join(out, 'heart_rate/2026-03-07.csv'), 'utf8'), 'timestamp,value,source\n2026-03-07T12:00:00-05:00,70,Inspire 3\n');
    const files = [...snapshot(out).keys()].sort();
    assert.deepEqual(files, [
      'exercise/2026-04-06.csv',
      'heart_rate/2026-03-07.csv',
      'heart_rate/2026-03-08.csv',
      'heart_rate/2026-04-05.csv',
      'heart_rate/2026-04-06.csv',
      'sleep/2026-04-06.csv',
      'steps/2026-04-06.csv',
      'summary/2026-04-06.csv',
    ]);
    assert.equal(s.filesWritten, 8);
    assert.equal(s.metrics.heart_rate?.files, 4);
    assert.equal(s.metrics.heart_rate?.samples, 6);
    assert.equal(s.metrics.heart_rate?.first, '2026-03-07');
    assert.equal(s.metrics.heart_rate?.last, '2026-04-06');
    assert.equal(s.days, 4);
    assert.match(formatDumpSummary(s), /8 written, 0 unchanged, 0 removed/);
    assert.match(formatDumpSummary(s), /heart_rate/);
  });

  test('a local day is assembled from two UTC-day blocks', async () => {
    seed();
    await runDump(opts());
    assert.equal(
      readFileSync(join(out, 'heart_rate/2026-04-06.csv'), 'utf8'),
      'timestamp,value,source\n2026-04-06T00:43:45-04:00,55,Inspire 3\n2026-04-06T22:00:00-04:00,90,Inspire 3\n',
    );
    assert.equal(readFileSync(join(out, 'heart_rate/2026-04-05.csv'), 'utf8'), 'timestamp,value,source\n2026-04-05T22:00:00-04:00,80,Inspire 3\n');
  });

  test('several sources in one day: one header, ordered by timestamp then source, quoted', async () => {
    seed();
    await runDump(opts());
    assert.equal(
      readFileSync(join(out, 'steps/2026-04-06.csv'), 'utf8'),
      'timestamp,value,source\n' +
        '2026-04-06T09:59:00-04:00,5,"Pixel Watch, 2"\n' +
        '2026-04-06T10:00:00-04:00,12,Inspire 3\n' +
        '2026-04-06T10:00:00-04:00,11,"Pixel Watch, 2"\n' +
        '2026-04-06T10:01:00-04:00,30,Inspire 3\n',
    );
  });

  test('sleep by the local date of its end, one row per stage; exercise with its activity', async () => {
    seed();
    await runDump(opts());
    assert.equal(
      readFileSync(join(out, 'sleep/2026-04-06.csv'), 'utf8'),
      'start,end,stage,source,sleep\n' +
        '2026-04-05T23:10:00-04:00,2026-04-05T23:40:00-04:00,light,Inspire 3,main\n' +
        '2026-04-05T23:40:00-04:00,2026-04-06T07:00:00-04:00,deep,Inspire 3,main\n' +
        '2026-04-06T14:00:00-04:00,2026-04-06T14:30:00-04:00,,Inspire 3,nap\n',
    );
    assert.ok(!existsSync(join(out, 'sleep/2026-04-05.csv')));
    const ex = readFileSync(join(out, 'exercise/2026-04-06.csv'), 'utf8').split('\n');
    assert.equal(ex[0], 'start,end,activity,source,duration_s,details');
    assert.equal(
      ex[1],
      '2026-04-06T17:00:38-04:00,2026-04-06T17:30:38-04:00,Walk,Inspire 3,1800,' + '"{""activityName"":""Walk"",""averageHeartRate"":101,""calories"":120}"',
    );
  });

  test('a night across the DST change prints each segment with the offset in force', async () => {
    store.setAccount({ name: 'me', profileId: null, timezone: NY });
    // 2026-03-07 23:00 EST → 2026-03-08 07:00 EDT; the clock jumps at 02:00 EST = 07:00Z.
    const start = Date.parse('2026-03-08T04:00:00Z');
    const mid = Date.parse('2026-03-08T08:00:00Z');
    const end = Date.parse('2026-03-08T11:00:00Z');
    store.upsertSession({
      account: 'me',
      kind: 'sleep',
      source: 'Inspire 3',
      layer: 'takeout-csv',
      start,
      startOffset: -300,
      end,
      endOffset: -240,
      segments: [
        { start, end: mid, stage: 'light' },
        { start: mid, end, stage: 'rem' },
      ],
      details: {},
    });
    await runDump(opts());
    assert.equal(
      readFileSync(join(out, 'sleep/2026-03-08.csv'), 'utf8'),
      'start,end,stage,source,sleep\n' +
        '2026-03-07T23:00:00-05:00,2026-03-08T04:00:00-04:00,light,Inspire 3,main\n' +
        '2026-03-08T04:00:00-04:00,2026-03-08T07:00:00-04:00,rem,Inspire 3,main\n',
    );
  });

  test('jsonl: one object per line with the same field names', async () => {
    seed();
    await runDump(opts({ format: 'jsonl' }));
    assert.ok(!existsSync(join(out, 'steps/2026-04-06.csv')));
    const steps = readFileSync(join(out, 'steps/2026-04-06.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(steps[0], { timestamp: '2026-04-06T09:59:00-04:00', value: 5, source: 'Pixel Watch, 2' });
    assert.equal(steps.length, 4);
    const sleep = readFileSync(join(out, 'sleep/2026-04-06.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(sleep[0], { start: '2026-04-05T23:10:00-04:00', end: '2026-04-05T23:40:00-04:00', stage: 'light', source: 'Inspire 3', sleep: 'main' });
    assert.deepEqual(sleep[2], { start: '2026-04-06T14:00:00-04:00', end: '2026-04-06T14:30:00-04:00', stage: null, source: 'Inspire 3', sleep: 'nap' });
    const ex = JSON.parse(readFileSync(join(out, 'exercise/2026-04-06.jsonl'), 'utf8')) as Record<string, unknown>;
    assert.equal(ex.activity, 'Walk');
    assert.deepEqual(ex.details, { activityName: 'Walk', averageHeartRate: 101, calories: 120 });
  });

  test('manifest: generator, version, time zone, per-metric registry facts and counts', async () => {
    seed();
    await runDump(opts());
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(m.generator, 'fitbit-bridge');
    assert.equal(typeof m.version, 'string');
    assert.ok(!Number.isNaN(Date.parse(String(m.generated))));
    assert.deepEqual(m.timezones, [NY]);
    const metrics = m.metrics as Record<string, Record<string, unknown>>;
    assert.deepEqual(
      {
        unit: metrics.heart_rate?.unit,
        kind: metrics.heart_rate?.kind,
        title: metrics.heart_rate?.title,
        files: metrics.heart_rate?.files,
        first: metrics.heart_rate?.first,
        last: metrics.heart_rate?.last,
      },
      { unit: 'bpm', kind: 'intraday', title: 'Heart rate', files: 4, first: '2026-03-07', last: '2026-04-06' },
    );
    assert.match(String(metrics.heart_rate?.description), /Heart rate/);
    assert.equal(metrics.sleep?.kind, 'session');
    assert.equal(metrics.weight?.files, 0);
    assert.equal(metrics.weight?.first, null);
  });

  test('never a day file with zero rows', async () => {
    seed();
    // A lone sample whose UTC block (the 10th) neighbours local days with no data at all.
    store.writeSamples(HR, [ny('2026-04-10T12:00:00Z', 66)], EXPORT);
    await runDump(opts());
    await runDump(opts({ format: 'jsonl' }));
    const snap = snapshot(out);
    assert.ok(snap.size > 0);
    for (const rel of snap.keys()) assert.ok(dataRows(out, rel).length > 0, `${rel} has no rows`);
    assert.ok(!existsSync(join(out, 'heart_rate/2026-04-09.jsonl')));
    assert.ok(!existsSync(join(out, 'heart_rate/2026-04-11.jsonl')));
    // After the data of a day disappears its file goes too, rather than staying with a header only.
    store.removeMatching(HR, [ny('2026-04-10T12:00:00Z', 66)], 0.5);
    await runDump(opts({ format: 'jsonl' }));
    for (const rel of snapshot(out).keys()) assert.ok(dataRows(out, rel).length > 0, `${rel} has no rows`);
    assert.ok(!existsSync(join(out, 'heart_rate/2026-04-10.jsonl')));
  });

  test('several accounts: <dir>/<account>/<metric>/…; --account picks one, flat', async () => {
    seed();
    store.setAccount({ name: 'partner', profileId: null, timezone: 'Europe/Berlin' });
    store.writeSamples(
      { account: 'partner', metric: 'heart_rate', source: 'Charge 6' },
      [{ t: Date.parse('2026-04-06T10:00:00Z'), offset: 120, v: 58 }],
      EXPORT,
    );
    const s = await runDump(opts());
    assert.ok(existsSync(join(out, 'me/heart_rate/2026-04-06.csv')));
    assert.equal(readFileSync(join(out, 'partner/heart_rate/2026-04-06.csv'), 'utf8'), 'timestamp,value,source\n2026-04-06T12:00:00+02:00,58,Charge 6\n');
    assert.ok(!existsSync(join(out, 'heart_rate')));
    assert.equal(s.metrics.heart_rate?.files, 5);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { timezones: string[] };
    assert.deepEqual(m.timezones, ['America/New_York', 'Europe/Berlin']);

    const one = join(tmp, 'one');
    await runDump(opts({ dir: one, account: 'partner' }));
    assert.deepEqual([...snapshot(one).keys()], ['heart_rate/2026-04-06.csv']);
    await assert.rejects(runDump(opts({ dir: one, account: 'nobody' })), /--account: no account "nobody"/);
  });
});

describe('incremental', () => {
  test('a second run writes nothing', async () => {
    seed();
    await runDump(opts());
    const before = inodes(out);
    const manifestIno = statSync(join(out, 'manifest.json')).ino;
    const s = await runDump(opts());
    assert.equal(s.full, false);
    assert.equal(s.filesWritten, 0);
    assert.equal(s.filesRemoved, 0);
    assert.deepEqual(inodes(out), before);
    assert.equal(statSync(join(out, 'manifest.json')).ino, manifestIno);
    assert.equal(s.metrics.heart_rate?.files, 4);
  });

  test('a late sample in an old day rewrites that day and nothing else', async () => {
    seed();
    await runDump(opts());
    const before = snapshot(out);
    const ino = inodes(out);
    // 23:00 EDT on the 8th lies in the UTC block of the 9th: the block maps back to the local 8th.
    store.writeSamples(HR, [ny('2026-03-09T03:00:00Z', 77)], EXPORT);
    const s = await runDump(opts());
    assert.equal(s.full, false);
    assert.equal(s.filesWritten, 1);
    assert.equal(s.filesRemoved, 0);
    const after = snapshot(out);
    const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k));
    assert.deepEqual(changed, ['heart_rate/2026-03-08.csv']);
    assert.equal(after.size, before.size);
    for (const [rel, n] of inodes(out)) if (rel !== 'heart_rate/2026-03-08.csv') assert.equal(n, ino.get(rel), `${rel} was rewritten`);
    assert.match(after.get('heart_rate/2026-03-08.csv') ?? '', /2026-03-08T23:00:00-04:00,77,Inspire 3\n$/);
  });

  test('a new session rewrites only its day', async () => {
    seed();
    await runDump(opts());
    const before = snapshot(out);
    store.upsertSession(
      sleepSession({
        start: Date.parse('2026-03-08T04:00:00Z'),
        end: Date.parse('2026-03-08T11:00:00Z'),
        startOffset: -300,
        segments: [],
        externalId: '44',
      }),
    );
    const s = await runDump(opts());
    assert.equal(s.filesWritten, 2);
    const after = snapshot(out);
    assert.deepEqual(
      [...after.keys()].filter((k) => after.get(k) !== before.get(k)),
      ['sleep/2026-03-08.csv', 'summary/2026-03-08.csv'],
    );
  });

  test('a day whose data disappears has its file removed; files the dump did not write stay', async () => {
    seed();
    await runDump(opts());
    writeFileSync(join(out, 'heart_rate/my-notes.txt'), 'mine');
    writeFileSync(join(out, 'heart_rate/2020-01-01.csv'), 'not from the dump');
    const removed = store.removeMatching(HR, [ny('2026-03-07T17:00:00Z', 70)], 0.5);
    assert.equal(removed, 1);
    const s = await runDump(opts());
    assert.equal(s.full, false);
    assert.equal(s.filesRemoved, 1);
    assert.equal(s.filesWritten, 0);
    assert.ok(!existsSync(join(out, 'heart_rate/2026-03-07.csv')));
    assert.ok(existsSync(join(out, 'heart_rate/2026-03-08.csv')));
    assert.ok(existsSync(join(out, 'heart_rate/my-notes.txt')));
    assert.ok(existsSync(join(out, 'heart_rate/2020-01-01.csv')));
    assert.equal(s.metrics.heart_rate?.first, '2026-03-08');
  });

  test("--from/--to/--metric filter; changing them is a full run that removes only the dump's own files", async () => {
    seed();
    const s1 = await runDump(opts({ from: '2026-04-01', to: '2026-04-05' }));
    assert.deepEqual([...snapshot(out).keys()], ['heart_rate/2026-04-05.csv']);
    assert.equal(s1.full, true);

    await runDump(opts());
    mkdirSync(join(out, 'weight'), { recursive: true });
    writeFileSync(join(out, 'weight/2026-04-06.csv'), 'user file');
    const s2 = await runDump(opts({ metrics: ['steps', 'heart_rate'], from: '2026-04-06' }));
    assert.equal(s2.full, true);
    assert.deepEqual([...snapshot(out).keys()].sort(), [
      'heart_rate/2026-04-06.csv',
      'steps/2026-04-06.csv',
      'summary/2026-04-06.csv',
      'weight/2026-04-06.csv',
    ]);
    assert.equal(readFileSync(join(out, 'summary/2026-04-06.csv'), 'utf8'), 'figure,value,unit,source\nsteps,47,steps,\n'); // the selected metrics only
    assert.equal(s2.filesWritten, 1);
    assert.equal(s2.filesUnchanged, 2);
    assert.equal(s2.filesRemoved, 5);
    assert.deepEqual(Object.keys(s2.metrics).sort(), ['heart_rate', 'steps']);
    assert.ok(!existsSync(join(out, 'sleep')), 'emptied folder left behind');

    // Incremental within the filter: data outside the range or of other metrics is ignored.
    store.writeSamples(HR, [ny('2026-03-08T12:00:00Z', 77)], EXPORT);
    store.writeSamples({ account: 'me', metric: 'weight', source: 'Aria' }, [ny('2026-04-06T12:00:00Z', 80.2)], EXPORT);
    const s3 = await runDump(opts({ metrics: ['heart_rate', 'steps'], from: '2026-04-06' }));
    assert.equal(s3.full, false);
    assert.equal(s3.filesWritten, 0);
    assert.deepEqual([...snapshot(out).keys()].sort(), [
      'heart_rate/2026-04-06.csv',
      'steps/2026-04-06.csv',
      'summary/2026-04-06.csv',
      'weight/2026-04-06.csv',
    ]);
    assert.equal(readFileSync(join(out, 'weight/2026-04-06.csv'), 'utf8'), 'user file');
    await assert.rejects(runDump(opts({ from: '2026-04-07', to: '2026-04-01' })), /after --to/);
  });

  test('crash simulation: without the state file the next run is full with identical output', async () => {
    seed();
    await runDump(opts());
    const before = snapshot(out);
    rmSync(join(out, STATE_FILE));
    const s = await runDump(opts());
    assert.equal(s.full, true);
    assert.equal(s.filesWritten, 0);
    assert.equal(s.filesUnchanged, before.size);
    assert.deepEqual(snapshot(out), before);
    // And the run after that is incremental again.
    assert.equal((await runDump(opts())).full, false);
  });

  test('crash simulation: files journaled by an unfinished run are cleaned up', async () => {
    seed();
    await runDump(opts());
    // A crashed run had created heart_rate/2026-01-01.csv (journaled) and died before the state file.
    writeFileSync(join(out, 'heart_rate/2026-01-01.csv'), 'timestamp,value,source\n');
    writeFileSync(join(out, JOURNAL_FILE), 'heart_rate/2026-01-01.csv\n');
    const s = await runDump(opts());
    assert.equal(s.filesRemoved, 1);
    assert.ok(!existsSync(join(out, 'heart_rate/2026-01-01.csv')));
    assert.ok(!existsSync(join(out, JOURNAL_FILE)));
  });

  test('a changed format is a full run replacing the old files', async () => {
    seed();
    await runDump(opts());
    const s = await runDump(opts({ format: 'jsonl' }));
    assert.equal(s.full, true);
    assert.equal(s.filesWritten, 8);
    assert.equal(s.filesRemoved, 8);
    assert.ok([...snapshot(out).keys()].every((k) => k.endsWith('.jsonl')));
  });
});
