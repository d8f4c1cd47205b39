import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../src/sources/takeout/files.js';
import { fastUtcZ, newParts, parseIso, parseLegacy, parseOffsetText, utcOf, num } from '../../src/sources/takeout/parsers/common.js';
import { daysFromCivil } from '../../src/time/index.js';
import { mergeShortData } from '../../src/sources/takeout/parsers/legacy-sleep.js';
import { normName } from '../../src/sources/takeout/parsers/csv-samples.js';
import { scanLegacyIntraday } from '../../src/sources/takeout/parsers/fast-json.js';

const kindOf = (p: string): string => {
  const c = classify(p);
  return c.type === 'kind' ? c.kind.id : c.type;
};

describe('file kinds: basename (+ parent), never the root folder', () => {
  it('matches the same file under every known root', () => {
    for (const root of ['Takeout/Fitbit', 'Fitbit', 'Takeout/Google Health', 'MyFitbitData/JaneDoe', 'user-site-export', '']) {
      const j = root ? `${root}/` : '';
      assert.equal(kindOf(`${j}Global Export Data/heart_rate-2026-04-06.json`), 'json.heart_rate', root);
      assert.equal(kindOf(`${j}Physical Activity/steps-2019-01-01.json`), 'json.steps', root);
      assert.equal(kindOf(`${j}Sleep/sleep-2019-01-01.json`), 'json.sleep', root);
      assert.equal(kindOf(`${j}Physical Activity_GoogleData/heart_rate_2026-04-06.csv`), 'csv.heart_rate', root);
    }
  });

  it('knows every family', () => {
    const cases: [string, string][] = [
      ['Global Export Data/resting_heart_rate-2026-01-01.json', 'json.resting_heart_rate'],
      ['Global Export Data/time_in_heart_rate_zones-2026-04-06.json', 'unknown'],
      ['Global Export Data/exercise-100.json', 'json.exercise'],
      ['Global Export Data/weight-2026-03-19.json', 'json.weight'],
      ['Global Export Data/calories-2026-03-19.json', 'json.calories'],
      ['Global Export Data/altitude-2026-03-19.json', 'json.altitude'],
      ['Global Export Data/distance-2026-03-19.json', 'json.distance'],
      ['Physical Activity_GoogleData/Heart Rate/heart_rate_2026-04-06.csv', 'csv.heart_rate'],
      ['Physical Activity_GoogleData/heart_rate_variability_2026-04-01.csv', 'csv.heart_rate_variability'],
      ['Physical Activity_GoogleData/oxygen_saturation_2026-04-01.csv', 'csv.oxygen_saturation'],
      ['Physical Activity_GoogleData/active_zone_minutes_2026-04-01.csv', 'csv.active_zone_minutes'],
      ['Physical Activity_GoogleData/daily_resting_heart_rate.csv', 'csv.daily_resting_heart_rate'],
      ['Physical Activity_GoogleData/daily_resting_heart_rate_2026-01-01.csv', 'csv.daily_resting_heart_rate'],
      ['Physical Activity_GoogleData/daily_oxygen_saturation.csv', 'csv.daily_oxygen_saturation'],
      ['Physical Activity_GoogleData/weight.csv', 'csv.weight'],
      ['Physical Activity_GoogleData/steps_readme.txt', 'ignored'],
      ['Physical Activity_GoogleData/daily_readiness.csv', 'unknown'],
      ['Health Fitness Data_GoogleData/UserSleeps_2026-04-01.csv', 'csv.user_sleeps'],
      ['Health Fitness Data_GoogleData/UserSleepStages_2026-04-01.csv', 'csv.user_sleep_stages'],
      ['Health Fitness Data_GoogleData/UserExercises_2026-04-01.csv', 'csv.user_exercises'],
      ['Heart Rate Variability/Heart Rate Variability Details - 2026-04-06.csv', 'hrv.details'],
      ['Heart Rate Variability/Daily Heart Rate Variability Summary - 2026-04-(5).csv', 'hrv.daily'],
      ['Heart Rate Variability/Daily Heart Rate Variability Summary - 2026-04-.csv', 'hrv.daily'],
      ['Heart Rate Variability/Daily Respiratory Rate Summary - 2026-04-06.csv', 'resp.daily'],
      ['Oxygen Saturation (SpO2)/Minute SpO2 - 2026-04-06.csv', 'spo2.minute'],
      ['Oxygen Saturation (SpO2)/Daily SpO2 - 2026-03-07-2026-04-06.csv', 'spo2.daily'],
      ['Temperature/Computed Temperature - 2026-03-07.csv', 'temp.computed'],
      ['Active Zone Minutes (AZM)/Active Zone Minutes - 2026-04-01.csv', 'azm.local'],
      ['Your Profile/Profile.csv', 'profile'],
      ['Sleep Score/sleep_score.csv', 'unknown'],
      ['Biometrics/Blood Pressure.csv', 'unknown'],
    ];
    for (const [p, k] of cases) assert.equal(kindOf(`Takeout/Fitbit/${p}`), k, p);
  });
});

describe('stamp parsing', () => {
  it('legacy MM/DD/YY HH:MM:SS and dates', () => {
    const p = newParts();
    assert.ok(parseLegacy('04/06/26 04:00:05', p));
    assert.equal(new Date(utcOf(p)).toISOString(), '2026-04-06T04:00:05.000Z');
    assert.ok(parseLegacy('03/01/24', p));
    assert.equal(new Date(utcOf(p)).toISOString(), '2024-03-01T00:00:00.000Z');
    for (const bad of ['13/06/26 04:00:00', '04/06/26 24:00:00', '04-06-26 04:00:00', '4/6/26 4:00:00', 'garbage', ''])
      assert.equal(parseLegacy(bad, p), false, bad);
  });

  it('ISO forms: Z, +0000, -04:00, naive, minutes only, fractions', () => {
    const p = newParts();
    assert.ok(parseIso('2026-04-06T02:43:45Z', p));
    assert.equal(p.zone, 'Z');
    assert.equal(utcOf(p), Date.UTC(2026, 3, 6, 2, 43, 45));
    assert.ok(parseIso('2026-04-12 05:45:30+0000', p));
    assert.equal(p.zone, 'offset');
    assert.equal(p.off, 0);
    assert.ok(parseIso('2026-04-12T01:45:30-04:00', p));
    assert.equal(p.off, -240);
    assert.ok(parseIso('2026-04-14T04:26:30.000', p));
    assert.equal(p.zone, 'none');
    assert.ok(parseIso('2026-08-01T01:15:09.096319Z', p));
    assert.equal(p.ms, 96);
    assert.ok(parseIso('2026-04-02T13:14', p));
    assert.equal(p.mi, 14);
    assert.ok(parseIso('2026-04-13', p));
    for (const bad of ['2026-13-01T00:00:00Z', '2026-04-06T02:43:45Q', '2026/04/06', 'not-a-time', '2026-04-06T2:43'])
      assert.equal(parseIso(bad, p), false, bad);
  });

  it('fast Z path agrees with the general parser', () => {
    const p = newParts();
    for (const x of ['2026-04-06T02:43:45Z', '2024-02-29T23:59:59Z', '1999-12-31T00:00:00Z', '2026-04-07T00:00:00Z']) {
      assert.ok(parseIso(x, p));
      assert.equal(fastUtcZ(x), utcOf(p), x);
    }
    for (const bad of ['2026-04-06T02:43:45.5Z', '2026-13-06T02:43:45Z', '2026-04-06 02:43:45Z', '2026-04-06T02:43:4xZ'])
      assert.ok(Number.isNaN(fastUtcZ(bad)), bad);
  });

  it('offsets, numbers, calendar', () => {
    assert.equal(parseOffsetText('-04:00'), -240);
    assert.equal(parseOffsetText('+0530'), 330);
    assert.equal(parseOffsetText('Z'), 0);
    assert.equal(parseOffsetText('x'), null);
    assert.ok(Number.isNaN(num('')));
    assert.ok(Number.isNaN(num('abc')));
    assert.ok(Number.isNaN(num('HEART_RATE_ZONE_TYPE_UNSPECIFIED')));
    assert.equal(num('134.0'), 134);
    assert.equal(daysFromCivil(1970, 1, 1), 0);
    assert.equal(daysFromCivil(2024, 2, 29) * 86_400_000, Date.UTC(2024, 1, 29));
    assert.equal(normName(' Data_Source '), 'data source');
  });
});

describe('sleep stages: Fitbit merge of data and shortData', () => {
  it('short wakes split the segment they fall into', () => {
    const m = 60_000;
    const out = mergeShortData(
      [
        { start: 0, end: 30 * m, stage: 'light' },
        { start: 30 * m, end: 50 * m, stage: 'deep' },
      ],
      [
        { start: 10 * m, end: 11 * m, stage: 'wake' },
        { start: 29 * m, end: 31 * m, stage: 'wake' },
      ],
    );
    assert.deepEqual(
      out.map((s) => [s.start / m, s.end / m, s.stage]),
      [
        [0, 10, 'light'],
        [10, 11, 'wake'],
        [11, 29, 'light'],
        [29, 31, 'wake'],
        [31, 50, 'deep'],
      ],
    );
  });
});

describe('fast legacy JSON scanner', () => {
  const pretty =
    '[{\n  "dateTime" : "04/06/26 04:00:00",\n  "value" : {\n    "bpm" : 63,\n    "confidence" : 3\n  }\n},{\n  "dateTime" : "04/06/26 04:00:05",\n  "value" : {\n    "bpm" : 64,\n    "confidence" : 2\n  }\n}]';
  const run = (text: string, bpm: boolean): [string, number][] | false => {
    const p = newParts();
    const out: [string, number][] = [];
    const ok = scanLegacyIntraday(text, bpm, p, (v) => out.push([new Date(utcOf(p)).toISOString(), v]));
    return ok ? out : false;
  };
  it('reads Jackson pretty-printed and compact records', () => {
    assert.deepEqual(run(pretty, true), [
      ['2026-04-06T04:00:00.000Z', 63],
      ['2026-04-06T04:00:05.000Z', 64],
    ]);
    assert.deepEqual(run('[{"dateTime":"03/19/26 18:40:00","value":"0"},{"dateTime":"03/19/26 18:41:00","value":"0.8"}]', false), [
      ['2026-03-19T18:40:00.000Z', 0],
      ['2026-03-19T18:41:00.000Z', 0.8],
    ]);
    assert.deepEqual(run('[]', false), []);
  });
  it('gives up on anything else (the generic reader decides)', () => {
    assert.equal(run(pretty.slice(0, -20), true), false); // truncated
    assert.equal(run('[{"dateTime":"03/19/26 18:40:00","value":"abc"}]', false), false);
    assert.equal(run('[{"value":"1","dateTime":"03/19/26 18:40:00"}]', false), false); // other key order
    assert.equal(run('[{"dateTime":"03/19/26 18:40:00","value":"1e3"}]', false), false);
    assert.equal(run('[{"dateTime":"03/19/26 18:40:00","value":"1"}] x', false), false);
  });
});
