/**
 * Hostile input, parsers (issue 13): long fields and strings, huge non-array JSON, long data-source
 * names, impossible dates, out-of-range and non-finite values. Bomb inputs are generated at test
 * time (zip-compressed where they are large). Each case: a clear error (file, line, limit) or a
 * warned, skipped row, AND an intact store.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readCsv } from '../../src/sources/takeout/csv.js';
import { readJsonArray } from '../../src/sources/takeout/json.js';
import { CSV_MAX_FIELD_CHARS, SOURCE_NAME_MAX_CHARS } from '../../src/sources/takeout/limits.js';
import { formatSummary } from '../../src/sources/takeout/import.js';
import { dataType } from '../../src/sources/google-health/datatypes.js';
import { mapPage } from '../../src/sources/google-health/mapping.js';
import { Zone } from '../../src/time/index.js';
import { MAX_QUOTE } from '../../src/util/clip.js';
import { ROOT, Tmp, dumpStore, makeExport, runImport, samplesOf, zipFolder } from '../takeout/helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

const GOOD_HR = 'timestamp,beats per minute,data source\n2026-04-07T04:00:00Z,61,Inspire 3\n2026-04-07T04:00:05Z,62,Inspire 3\n';
const HR_CSV = 'Physical Activity_GoogleData/heart_rate_2026-04-07.csv';
/** No message of a summary may quote more than a clip of the input. */
const MAX_MESSAGE = 2 * MAX_QUOTE + 600;

function chunks(text: string, size = 65536): AsyncIterable<Buffer> {
  const buf = Buffer.from(text);
  return (async function* () {
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
  })();
}

async function readAllCsv(text: string, limits?: { maxField: number; maxRecord: number }): Promise<string[][]> {
  const rows: string[][] = [];
  for await (const b of readCsv(chunks(text), 'f.csv', limits)) rows.push(...b.rows);
  return rows;
}

async function readAllJson(text: string, opts: Parameters<typeof readJsonArray>[3] = {}): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const b of readJsonArray(chunks(text), 'f.json', Buffer.byteLength(text), opts)) out.push(...b);
  return out;
}

function assertShortMessages(s: { warnings: { message: string }[]; files: { failed: { error: string }[] } }): void {
  for (const w of s.warnings) assert.ok(w.message.length < MAX_MESSAGE, `warning of ${w.message.length} characters`);
  for (const f of s.files.failed) assert.ok(f.error.length < MAX_MESSAGE, `error of ${f.error.length} characters`);
}

describe('hostile CSV', () => {
  it('a 32 MB data-source field: that file fails fast naming file, line and limit; the rest is imported; the store is intact', async () => {
    const store = tmp.store();
    const base = makeExport(tmp, 'csv-base', { [HR_CSV]: GOOD_HR });
    await runImport(store, [base]);
    const before = dumpStore(store);
    const huge = 'x'.repeat(32 * 1024 * 1024);
    const folder = makeExport(tmp, 'csv-field', {
      'Physical Activity_GoogleData/heart_rate_2026-04-08.csv': `timestamp,beats per minute,data source\n2026-04-08T04:00:00Z,70,Inspire 3\n2026-04-08T04:00:05Z,71,${huge}\n`,
      'Physical Activity_GoogleData/steps_2026-04-01.csv': 'timestamp,steps,data source\n2026-04-06T04:01:00Z,12,Inspire 3\n',
    });
    const zip = await zipFolder(folder, tmp.path('csv-field.zip'));
    const t0 = Date.now();
    const s = await runImport(store, [zip]);
    const ms = Date.now() - t0;
    assert.equal(s.exitCode, 1);
    assert.equal(s.files.failed.length, 1);
    const f = s.files.failed[0]!;
    assert.equal(f.file, `${ROOT}/Physical Activity_GoogleData/heart_rate_2026-04-08.csv`);
    assert.match(
      f.error,
      /heart_rate_2026-04-08\.csv:3: a field of at least \d+ characters is longer than the limit of 64 KiB characters per field \(CSV_MAX_FIELD_CHARS\)/,
    );
    assertShortMessages(s);
    assert.ok(formatSummary(s).length < 20_000);
    // nothing of the failed file; the good file in
    assert.deepEqual(
      samplesOf(store, 'heart_rate', 'Inspire 3').map((x) => x[2]),
      [61, 62],
    );
    assert.deepEqual(
      samplesOf(store, 'steps', 'Inspire 3').map((x) => x[2]),
      [12],
    );
    assert.deepEqual(
      dumpStore(store).filter((l) => !l.startsWith('steps|')),
      before,
    );
    assert.ok(ms < 30_000, `${ms} ms`);
  });

  it('a quoted field or record over the limits, and an unterminated quote, are file errors with the line', async () => {
    const long = 'y'.repeat(CSV_MAX_FIELD_CHARS + 1);
    await assert.rejects(readAllCsv(`a,b\n1,2\n3,"${long}"\n`), /^CsvFileError: f\.csv:3: a field of (at least )?\d+ characters is longer than the limit/);
    await assert.rejects(readAllCsv(`a,b\n1,2\n3,${long}\n`), /f\.csv:3: a field of \d+ characters/);
    await assert.rejects(
      readAllCsv(`a,b\n1,"x\ny"\n${'1,2,'.repeat(100)}\n`, { maxField: 1000, maxRecord: 300 }),
      /f\.csv:4: a record of \d+ characters is longer than the limit of 300 characters per record \(CSV_MAX_RECORD_CHARS\)/,
    );
    await assert.rejects(readAllCsv(`a,b\n1,"never closed\n`), /f\.csv:2: unterminated quoted field/);
  });

  it('is linear in a field length: a 32 MB field (limits raised) reads in well under the old 7+ s', async () => {
    const huge = 'z'.repeat(32 * 1024 * 1024);
    for (const cell of [huge, `"${huge}"`]) {
      const t0 = Date.now();
      const rows = await readAllCsv(`a,b\n1,${cell}\n2,3\n`, { maxField: 1e9, maxRecord: 1e9 });
      const ms = Date.now() - t0;
      assert.equal(rows.length, 2);
      assert.equal(rows[0]![1]!.length, huge.length);
      assert.deepEqual(rows[1], ['2', '3']);
      assert.ok(ms < 4000, `${ms} ms`);
    }
  });

  it(`a data source name over ${SOURCE_NAME_MAX_CHARS} characters ends the file (never a series or a label); the store is intact`, async () => {
    const store = tmp.store();
    const name = 'N'.repeat(SOURCE_NAME_MAX_CHARS + 1);
    const folder = makeExport(tmp, 'csv-source', {
      [HR_CSV]: `${GOOD_HR}2026-04-07T04:00:10Z,63,${name}\n`,
      'Health Fitness Data_GoogleData/UserSleeps_2026-04-01.csv':
        'sleep_id,sleep_type,minutes_in_sleep_period,minutes_after_wake_up,minutes_to_fall_asleep,minutes_asleep,minutes_awake,minutes_longest_awakening,minutes_to_persistent_sleep,start_utc_offset,sleep_start,end_utc_offset,sleep_end,data_source,sleep_data_type,algorithm_version\n' +
        `1,main,420,0,0,400,20,5,0,-04:00,2026-04-06T02:00:00Z,-04:00,2026-04-06T09:00:00Z,${name},stages,sleep_session_v2\n`,
    });
    const s = await runImport(store, [folder], { timezone: 'America/New_York' });
    assert.equal(s.exitCode, 1);
    const errs = s.files.failed.map((f) => f.error);
    assert.equal(errs.length, 2, errs.join('\n'));
    for (const e of errs)
      assert.match(e, /line \d+: a data source name of 257 characters is longer than the limit of 256 characters \(SOURCE_NAME_MAX_CHARS\)/);
    assertShortMessages(s);
    assert.deepEqual(dumpStore(store), []);
    for (const x of store.listSeries({ account: 'me' })) assert.ok(x.source.length <= SOURCE_NAME_MAX_CHARS);
  });
});

describe('hostile JSON', () => {
  it('a 20 MB string value in a streamed heart_rate JSON: the file fails naming the limit; the store is intact', async () => {
    const store = tmp.store();
    const base = makeExport(tmp, 'json-base', { [HR_CSV]: GOOD_HR });
    await runImport(store, [base]);
    const before = dumpStore(store);
    const rec = '{"dateTime":"04/06/26 04:00:00","value":{"bpm":60,"confidence":3}}';
    const text = `[${rec},{"dateTime":"04/06/26 04:00:05","value":{"bpm":61,"confidence":3},"note":"${'s'.repeat(20 * 1024 * 1024)}"},${rec}]`;
    const folder = makeExport(tmp, 'json-string', { 'Global Export Data/heart_rate-2026-04-06.json': text });
    const zip = await zipFolder(folder, tmp.path('json-string.zip'));
    const s = await runImport(store, [zip]);
    assert.equal(s.exitCode, 1);
    assert.equal(s.files.failed.length, 1);
    assert.match(
      s.files.failed[0]!.error,
      /a JSON string of at least \d+ characters \(line 1\) is longer than the limit of 64 KiB characters per string \(JSON_MAX_STRING_CHARS\)/,
    );
    assertShortMessages(s);
    assert.deepEqual(dumpStore(store), before);
  });

  it('a long string in a file read whole, and a record over the limit when streamed, are file errors', async () => {
    const text = `[{"a":1},{"a":"${'q'.repeat(70_000)}"}]`;
    await assert.rejects(readAllJson(text), /f\.json: a JSON string of 70000 characters is longer than the limit of 64 KiB characters per string/);
    await assert.rejects(readAllJson(text, { streamThreshold: 0 }), /f\.json: a JSON string of at least \d+ characters \(line 1\)/);
    const rec = `{"a":[${Array.from({ length: 50_000 }, () => '1').join(',')}]}`;
    await assert.rejects(
      readAllJson(`[{"a":1},\n${rec}]`, { streamThreshold: 0, maxRecord: 10_000 }),
      /f\.json: a JSON record \(element of the top-level array\) reaching line 2 is larger than the limit of 10000 per record \(JSON_MAX_RECORD_BYTES\)/,
    );
    // under the limits: read as before
    assert.deepEqual(await readAllJson(`[{"a":1},${rec}]`, { streamThreshold: 0 }).then((r) => r.length), 2);
  });

  it('a 17 MB top-level object is refused after reading at most the limit (not read whole); the store is intact', async () => {
    const store = tmp.store();
    const obj = `{"weight":[${'1,'.repeat(8_500_000)}1]}`;
    let read = 0;
    const src = (async function* () {
      const b = Buffer.from(obj);
      for (let i = 0; i < b.length; i += 65536) {
        read += Math.min(65536, b.length - i);
        yield b.subarray(i, i + 65536);
      }
    })();
    await assert.rejects(async () => {
      for await (const _ of readJsonArray(src, 'w.json', obj.length)) {
        /* nothing */
      }
    }, /w\.json: the top level is not an array and the file is at least \d+ bytes, larger than the limit of 16 MiB per record \(JSON_MAX_RECORD_BYTES\)/);
    assert.ok(read <= 16 * 1024 * 1024 + 65536, `read ${read} bytes`);
    const folder = makeExport(tmp, 'json-object', { 'Global Export Data/weight-2026-04-06.json': obj });
    const s = await runImport(store, [folder], { timezone: 'America/New_York' });
    assert.equal(s.exitCode, 1);
    assert.match(s.files.failed[0]!.error, /top level is not an array/);
    assert.deepEqual(dumpStore(store), []);
  });
});

describe('strict values', () => {
  it('impossible dates, negative bpm, 1e309 and NaN are skipped rows with warnings, never a dropped file', async () => {
    const store = tmp.store();
    const folder = makeExport(tmp, 'values', {
      [HR_CSV]:
        'timestamp,beats per minute,data source\n' +
        '2026-04-07T04:00:00Z,61,Inspire 3\n' + // line 2
        '2026-02-30T04:00:00Z,62,Inspire 3\n' + // 3: no 30 February
        '2026-04-07T04:00:10Z,-1,Inspire 3\n' + // 4: negative bpm
        '2026-04-07T04:00:15Z,1e309,Inspire 3\n' + // 5: infinity
        '2026-04-07T04:00:20Z,NaN,Inspire 3\n' + // 6
        `2026-04-07T04:00:25Z,${'9'.repeat(50_000)},Inspire 3\n` + // 7: a long number (quoted clipped)
        '2026-04-07T04:00:30Z,63,Inspire 3\n',
      'Global Export Data/heart_rate-2026-03-01.json':
        '[{"dateTime":"02/30/26 04:00:00","value":{"bpm":60,"confidence":3}},{"dateTime":"03/01/26 04:00:00","value":{"bpm":-5,"confidence":3}},{"dateTime":"03/01/26 04:01:00","value":{"bpm":64,"confidence":3}}]',
      'Global Export Data/steps-2026-03-01.json': '[{"dateTime":"03/01/26 04:00:00","value":"1e309"},{"dateTime":"03/01/26 04:01:00","value":"7"}]',
      'Physical Activity_GoogleData/daily_resting_heart_rate.csv': 'timestamp,beats per minute,data source\n2026-02-29,55,Inspire 3\n2026-02-28,56,Inspire 3\n',
    });
    const s = await runImport(store, [folder], { timezone: 'America/New_York' });
    assert.deepEqual(s.files.failed, []);
    assert.equal(s.exitCode, 0);
    assert.deepEqual(
      samplesOf(store, 'heart_rate', 'Inspire 3').map((x) => x[2]),
      [61, 63],
    );
    const hrWarn = s.warnings.filter((w) => w.file.endsWith('heart_rate_2026-04-07.csv'));
    assert.deepEqual(
      hrWarn.map((w) => w.line),
      [3, 4, 5, 6, 7],
    );
    assert.match(hrWarn[0]!.message, /"2026-02-30T04:00:00Z" is not an ISO date\/time \(or no such calendar date\); row skipped/);
    assert.match(hrWarn[1]!.message, /-1 is outside the valid range of heart_rate \(20 to 300 bpm\); row skipped/);
    assert.match(hrWarn[2]!.message, /Infinity is not a finite number; row skipped/);
    assert.match(hrWarn[3]!.message, /"NaN" is not a number; row skipped/);
    assert.match(hrWarn[4]!.message, /more characters/);
    // legacy JSON (fast path and generic path)
    const L = 'Fitbit export (legacy)';
    assert.deepEqual(
      samplesOf(store, 'heart_rate', L).map((x) => x[0]),
      ['2026-03-01T04:01:00.000Z'],
    );
    assert.deepEqual(
      samplesOf(store, 'steps', L).map((x) => x[2]),
      [7],
    );
    assert.ok(s.warnings.some((w) => w.file.endsWith('heart_rate-2026-03-01.json') && /02\/30\/26/.test(w.message)));
    assert.ok(s.warnings.some((w) => w.file.endsWith('heart_rate-2026-03-01.json') && /-5 is outside the valid range/.test(w.message)));
    assert.ok(s.warnings.some((w) => w.file.endsWith('steps-2026-03-01.json') && /record 1/.test(w.message)));
    // 2026 has no 29 February: not stored as 1 March
    assert.deepEqual(
      samplesOf(store, 'resting_heart_rate', 'Inspire 3').map((x) => x[2]),
      [56],
    );
    assertShortMessages(s);
  });

  it('Google Health API: impossible dates, out-of-range values and a huge device name', () => {
    const ctx = { account: 'a', zone: new Zone('America/New_York'), page: 'page 1' };
    const sampleTime = { physicalTime: '2026-04-06T04:43:45Z', utcOffset: '-14400s' };
    const dev = (name: string) => ({ platform: 'FITBIT', device: { displayName: name } });
    const p = mapPage(
      dataType('heart-rate'),
      {
        dataPoints: [
          { dataSource: dev('Inspire 3'), heartRate: { sampleTime, beatsPerMinute: '72' } },
          { dataSource: dev('Inspire 3'), heartRate: { sampleTime, beatsPerMinute: '-3' } },
          { dataSource: dev('Inspire 3'), heartRate: { sampleTime: { physicalTime: '2026-02-30T04:43:45Z' }, beatsPerMinute: '70' } },
          { dataSource: dev('W'.repeat(1_000_000)), heartRate: { sampleTime, beatsPerMinute: '73' } },
        ],
      },
      ctx,
    );
    const series = [...p.series.values()];
    assert.deepEqual(
      series.map((x) => [x.source.length, x.samples.map((y) => y.v)]),
      [
        [9, [72]],
        [SOURCE_NAME_MAX_CHARS, [73]],
      ],
    );
    assert.equal(p.skipped, 2);
    assert.match(p.warnings[0]!, /beatsPerMinute -3 is outside the valid range of heart_rate/);
    assert.match(p.warnings[1]!, /2026-02-30T04:43:45Z/);
    const d = mapPage(
      dataType('daily-resting-heart-rate'),
      { dataPoints: [{ dataSource: dev('Inspire 3'), dailyRestingHeartRate: { date: { year: 2026, month: 2, day: 30 }, beatsPerMinute: '58' } }] },
      ctx,
    );
    assert.equal(d.skipped, 1);
    assert.equal(d.series.size, 0);
  });
});
