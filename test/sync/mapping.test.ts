/**
 * Mapping of every synced data type on the shapes of the reference (google-health-api.md):
 * metrics, units, sources, instants and offsets as the Takeout importer stores them; int64
 * strings; omitted (zero) fields; malformed points skipped with a warning naming type and page;
 * open enums.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { METRICS } from '../../src/metrics/registry.js';
import {
  DATA_TYPES,
  ROLLUP_SOURCE,
  UNKNOWN_DEVICE_SOURCE,
  WEARABLES_ROLLUP_SOURCE,
  dataType,
  typesForMode,
} from '../../src/sources/google-health/datatypes.js';
import { mapPage, parseOffsetDuration, parseTimestamp, PageFormatError, sourceLabel, type MappedPage } from '../../src/sources/google-health/mapping.js';
import { Zone } from '../../src/time/index.js';
import { windowFilter, rollUpBody } from '../../src/sources/google-health/requests.js';

const zone = new Zone('America/New_York');
const ctx = { account: 'a', zone, page: 'page 1 of 2026-04-06..2026-04-06' };
const TRACKER = {
  recordingMethod: 'PASSIVELY_MEASURED',
  platform: 'FITBIT',
  device: { displayName: 'Inspire 3', manufacturer: 'Fitbit', formFactor: 'FITNESS_BAND' },
};
const PHONE = { platform: 'FITBIT', device: { displayName: 'Fitbit App', formFactor: 'PHONE' } };

const interval = {
  startTime: '2026-04-06T04:43:00Z',
  startUtcOffset: '-14400s',
  endTime: '2026-04-06T04:44:00Z',
  endUtcOffset: '-14400s',
  civilStartTime: { date: { year: 2026, month: 4, day: 6 }, time: { minutes: 43 } },
  civilEndTime: { date: { year: 2026, month: 4, day: 6 }, time: { minutes: 44 } },
};
const T = Date.UTC(2026, 3, 6, 4, 43);
const sampleTime = {
  physicalTime: '2026-04-06T04:43:45.250Z',
  utcOffset: '-14400s',
  civilTime: { date: { year: 2026, month: 4, day: 6 }, time: { minutes: 43, seconds: 45, nanos: 250000000 } },
};
const TS = Date.UTC(2026, 3, 6, 4, 43, 45, 250);
/** Local midnight of 2026-04-06 in New York (EDT). */
const MIDNIGHT = Date.UTC(2026, 3, 6, 4);

function samples(p: MappedPage): Record<string, { t: number; offset: number; v: number }[]> {
  const out: Record<string, { t: number; offset: number; v: number }[]> = {};
  for (const s of p.series.values()) out[`${s.metric}/${s.source}`] = s.samples;
  return out;
}

function list(type: string, ...points: unknown[]): MappedPage {
  return mapPage(dataType(type), { dataPoints: points }, ctx);
}

describe('data type table', () => {
  it('every registry metric with a Google Health counterpart is filled by a synced type', () => {
    for (const m of METRICS) {
      if (!m.googleHealth) continue;
      const d = DATA_TYPES.find((x) => x.id === m.googleHealth?.dataType);
      assert.ok(d, `${m.id}: data type ${m.googleHealth.dataType} is synced`);
      assert.ok(d.metrics.includes(m.id), `${m.id} is mapped by ${d.id}`);
      if (m.googleHealth.rollupOnly) assert.equal(d.method, 'rollUp', `${m.id} is rollUp only`);
    }
  });

  it("the brief's list of types, with filters, page sizes and methods", () => {
    const ids = DATA_TYPES.map((d) => d.id).sort();
    assert.deepEqual(
      ids,
      [
        'active-energy-burned',
        'active-zone-minutes',
        'altitude',
        'daily-heart-rate-variability',
        'daily-oxygen-saturation',
        'daily-respiratory-rate',
        'daily-resting-heart-rate',
        'daily-sleep-temperature-derivations',
        'distance',
        'exercise',
        'floors',
        'heart-rate',
        'heart-rate-variability',
        'oxygen-saturation',
        'respiratory-rate-sleep-summary',
        'steps',
        'total-calories',
        'weight',
        'sleep',
      ].sort(),
    );
    assert.deepEqual(
      dataType('exercise').members.map((m) => m.member),
      ['interval.civil_start_time', 'interval.start_time'],
    );
    assert.deepEqual(
      dataType('sleep').members.map((m) => m.member),
      ['interval.end_time', 'interval.civil_start_time'],
    );
    // daily types: only `<type>.date` (seen live: civil_date and interval.civil_start_time are refused)
    for (const d of typesForMode('all')) if (d.record === 'daily') assert.deepEqual(d.members, [{ member: 'date', kind: 'date' }], d.id);
    assert.equal(dataType('sleep').maxPageSize, 25);
    assert.equal(dataType('exercise').maxPageSize, 25);
    assert.equal(dataType('heart-rate').maxPageSize, 10_000);
    assert.equal(dataType('total-calories').method, 'rollUp');
    assert.equal(dataType('floors').method, 'rollUp');
    assert.ok(dataType('total-calories').windowDays <= 14, 'total-calories rollUp range is at most 14 days');
    assert.equal(dataType('heart-rate').filterId, 'heart_rate');
    assert.equal(dataType('daily-sleep-temperature-derivations').unionKey, 'dailySleepTemperatureDerivations');
    // rollUp types after list types (they use the list types' coverage)
    const order = typesForMode('all').map((d) => d.method);
    assert.equal(order.lastIndexOf('list') < order.indexOf('rollUp'), true);
    assert.deepEqual(
      typesForMode('recent', ['heart_rate', 'calories']).map((d) => d.id),
      ['heart-rate', 'total-calories'],
    );
    assert.throws(() => typesForMode('all', ['heartrate']), /unknown Google Health data type "heartrate"/);
  });

  it("filters: physical members at the zone's local midnights, civil members and dates as dates", () => {
    const win = { from: '2026-03-07', to: '2026-03-09' };
    assert.equal(
      windowFilter(dataType('heart-rate'), dataType('heart-rate').members[0]!, win, zone),
      'heart_rate.sample_time.physical_time >= "2026-03-07T05:00:00Z" AND heart_rate.sample_time.physical_time < "2026-03-09T04:00:00Z"',
    );
    assert.equal(
      windowFilter(dataType('exercise'), dataType('exercise').members[0]!, win, zone),
      'exercise.interval.civil_start_time >= "2026-03-07" AND exercise.interval.civil_start_time < "2026-03-09"',
    );
    assert.equal(
      windowFilter(dataType('daily-resting-heart-rate'), dataType('daily-resting-heart-rate').members[0]!, { to: '2026-03-09' }, zone),
      'daily_resting_heart_rate.date < "2026-03-09"',
    );
    assert.deepEqual(rollUpBody(dataType('total-calories'), win, zone), {
      range: { startTime: '2026-03-07T05:00:00Z', endTime: '2026-03-09T04:00:00Z' },
      windowSize: '60s',
      pageSize: 10000,
    });
    assert.deepEqual(rollUpBody(dataType('total-calories'), win, zone, 'google-wearables'), {
      range: { startTime: '2026-03-07T05:00:00Z', endTime: '2026-03-09T04:00:00Z' },
      windowSize: '60s',
      pageSize: 10000,
      dataSourceFamily: 'users/me/dataSourceFamilies/google-wearables',
    });
    // the API refuses total-calories rollUps over 14 days (floors: 90): never sent
    assert.throws(() => rollUpBody(dataType('total-calories'), { from: '2026-03-01', to: '2026-03-16' }, zone), /14 days/);
    assert.doesNotThrow(() => rollUpBody(dataType('floors'), { from: '2026-01-01', to: '2026-03-01' }, zone));
    assert.throws(() => rollUpBody(dataType('floors'), { from: '2026-01-01', to: '2026-04-02' }, zone), /90 days/);
  });
});

describe('parsers', () => {
  it('timestamps, offsets', () => {
    assert.equal(parseTimestamp('2026-04-06T04:43:45Z'), Date.UTC(2026, 3, 6, 4, 43, 45));
    assert.equal(parseTimestamp('2026-04-06T04:43:45.123456789Z'), Date.UTC(2026, 3, 6, 4, 43, 45, 123));
    assert.equal(parseTimestamp('2026-04-06T00:43:45-04:00'), Date.UTC(2026, 3, 6, 4, 43, 45));
    assert.ok(Number.isNaN(parseTimestamp('2026-04-06 04:43:45')));
    assert.ok(Number.isNaN(parseTimestamp(1234)));
    assert.equal(parseOffsetDuration('-14400s'), -240);
    assert.equal(parseOffsetDuration('19800s'), 330);
    assert.equal(parseOffsetDuration('0s'), 0);
    assert.equal(parseOffsetDuration('-14400.5s'), null);
    assert.equal(parseOffsetDuration('-14430s'), null);
    assert.equal(parseOffsetDuration('-4h'), null);
  });
});

describe('intraday types', () => {
  it('steps: int64 string, interval start, offset from startUtcOffset, source = device name', () => {
    const p = list('steps', { dataSource: TRACKER, steps: { interval, count: '87' } }, { dataSource: PHONE, steps: { interval, count: '80' } });
    assert.deepEqual(samples(p), {
      'steps/Inspire 3': [{ t: T, offset: -240, v: 87 }],
      'steps/Fitbit App': [{ t: T, offset: -240, v: 80 }],
    });
    assert.equal(p.minDay, '2026-04-06');
    assert.equal(p.nextPageToken, null);
  });

  it('distance and altitude: millimetres → metres exactly as the CSV text would give', () => {
    const p = list('distance', { dataSource: TRACKER, distance: { interval, millimeters: '12340' } });
    assert.deepEqual(samples(p), { 'distance/Inspire 3': [{ t: T, offset: -240, v: 12.34 }] });
    const a = list('altitude', { dataSource: TRACKER, altitude: { interval, gainMillimeters: '3048' } });
    assert.deepEqual(samples(a), { 'altitude/Inspire 3': [{ t: T, offset: -240, v: 3.048 }] });
  });

  it('active energy, active zone minutes (enum ignored, value kept)', () => {
    assert.deepEqual(samples(list('active-energy-burned', { dataSource: TRACKER, activeEnergyBurned: { interval, kcal: 2.35 } })), {
      'active_energy/Inspire 3': [{ t: T, offset: -240, v: 2.35 }],
    });
    assert.deepEqual(
      samples(list('active-zone-minutes', { dataSource: TRACKER, activeZoneMinutes: { interval, activeZoneMinutes: '2', heartRateZone: 'CARDIO' } })),
      { 'active_zone_minutes/Inspire 3': [{ t: T, offset: -240, v: 2 }] },
    );
  });

  it('heart rate, HRV (two metrics of one point), SpO2, weight at the sample instant', () => {
    assert.deepEqual(
      samples(list('heart-rate', { dataSource: TRACKER, heartRate: { sampleTime, beatsPerMinute: '72', metadata: { motionContext: 'SEDENTARY' } } })),
      { 'heart_rate/Inspire 3': [{ t: TS, offset: -240, v: 72 }] },
    );
    assert.deepEqual(
      samples(
        list('heart-rate-variability', {
          dataSource: TRACKER,
          heartRateVariability: { sampleTime, rootMeanSquareOfSuccessiveDifferencesMilliseconds: 41.234, standardDeviationMilliseconds: 55.5 },
        }),
      ),
      {
        'hrv_rmssd/Inspire 3': [{ t: TS, offset: -240, v: 41.234 }],
        'hrv_sdnn/Inspire 3': [{ t: TS, offset: -240, v: 55.5 }],
      },
    );
    assert.deepEqual(samples(list('oxygen-saturation', { dataSource: TRACKER, oxygenSaturation: { sampleTime, percentage: 95.4 } })), {
      'spo2/Inspire 3': [{ t: TS, offset: -240, v: 95.4 }],
    });
    assert.deepEqual(
      samples(list('weight', { dataSource: { recordingMethod: 'MANUAL', device: { displayName: 'Fitbit App' } }, weight: { sampleTime, weightGrams: 81234 } })),
      { 'weight/Fitbit App': [{ t: TS, offset: -240, v: 81.234 }] },
    );
  });

  it('a missing offset comes from the zone; a point without a device gets the unknown-device source', () => {
    const iv = { startTime: '2026-01-06T04:43:00Z', endTime: '2026-01-06T04:44:00Z' };
    assert.deepEqual(samples(list('steps', { steps: { interval: iv, count: '5' } })), {
      [`steps/${UNKNOWN_DEVICE_SOURCE}`]: [{ t: Date.UTC(2026, 0, 6, 4, 43), offset: -300, v: 5 }],
    });
  });

  it('omitted (zero) values are not stored but counted', () => {
    const p = list('steps', { dataSource: TRACKER, steps: { interval } });
    assert.equal(p.series.size, 0);
    assert.equal(p.zeros, 1);
    assert.equal(p.skipped, 0);
    const h = list('heart-rate-variability', {
      dataSource: TRACKER,
      heartRateVariability: { sampleTime, rootMeanSquareOfSuccessiveDifferencesMilliseconds: 40 },
    });
    assert.deepEqual(Object.keys(samples(h)), ['hrv_rmssd/Inspire 3']);
    assert.equal(h.zeros, 1);
  });
});

describe('daily types: stamped at local midnight of their date', () => {
  const date = { year: 2026, month: 4, day: 6 };
  it('resting heart rate, HRV, SpO2, breathing rate, skin temperature', () => {
    assert.deepEqual(
      samples(
        list('daily-resting-heart-rate', {
          dataSource: TRACKER,
          dailyRestingHeartRate: { date, beatsPerMinute: '58', dailyRestingHeartRateMetadata: { calculationMethod: 'WITH_SLEEP' } },
        }),
      ),
      { 'resting_heart_rate/Inspire 3': [{ t: MIDNIGHT, offset: -240, v: 58 }] },
    );
    assert.deepEqual(
      samples(
        list('daily-heart-rate-variability', {
          dataSource: TRACKER,
          dailyHeartRateVariability: {
            date,
            averageHeartRateVariabilityMilliseconds: 38.2,
            nonRemHeartRateBeatsPerMinute: '55',
            entropy: 2.4,
            deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds: 44,
          },
        }),
      ),
      {
        'hrv_daily_rmssd/Inspire 3': [{ t: MIDNIGHT, offset: -240, v: 38.2 }],
        'hrv_daily_nremhr/Inspire 3': [{ t: MIDNIGHT, offset: -240, v: 55 }],
        'hrv_daily_entropy/Inspire 3': [{ t: MIDNIGHT, offset: -240, v: 2.4 }],
      },
    );
    assert.deepEqual(
      samples(
        list('daily-oxygen-saturation', {
          dataSource: TRACKER,
          dailyOxygenSaturation: { date, averagePercentage: 95.1, lowerBoundPercentage: 92.3, upperBoundPercentage: 97.9, standardDeviationPercentage: 0.8 },
        }),
      ),
      {
        'spo2_daily_avg/Inspire 3': [{ t: MIDNIGHT, offset: -240, v: 95.1 }],
        'spo2_daily_lower/Inspire 3': [{ t: MIDNIGHT, offset: -240, v: 92.3 }],
        'spo2_daily_upper/Inspire 3': [{ t: MIDNIGHT, offset: -240, v: 97.9 }],
      },
    );
    assert.deepEqual(samples(list('daily-respiratory-rate', { dataSource: TRACKER, dailyRespiratoryRate: { date, breathsPerMinute: 14.6 } })), {
      'respiratory_rate/Inspire 3': [{ t: MIDNIGHT, offset: -240, v: 14.6 }],
    });
    assert.deepEqual(
      samples(
        list('daily-sleep-temperature-derivations', {
          dataSource: TRACKER,
          dailySleepTemperatureDerivations: { date, nightlyTemperatureCelsius: 33.912, baselineTemperatureCelsius: 33.8, relativeNightlyStddev30dCelsius: 0.3 },
        }),
      ),
      { 'skin_temperature/Inspire 3': [{ t: MIDNIGHT, offset: -240, v: 33.912 }] },
    );
  });

  it('respiratory-rate-sleep-summary → sleep_breathing_rate (the full-sleep average, a nested field) at the sample time', () => {
    const p = list('respiratory-rate-sleep-summary', {
      dataSource: TRACKER,
      respiratoryRateSleepSummary: {
        sampleTime,
        fullSleepStats: { breathsPerMinute: 14.2, standardDeviation: 0.8 },
        deepSleepStats: { breathsPerMinute: 13.1 },
      },
    });
    assert.equal(p.points, 1);
    assert.equal(p.skipped, 0);
    assert.deepEqual(samples(p), { 'sleep_breathing_rate/Inspire 3': [{ t: TS, offset: -240, v: 14.2 }] });
    // no full-sleep statistics: nothing stored (an omitted value is zero); a string that is no number: skipped
    const none = list('respiratory-rate-sleep-summary', { dataSource: TRACKER, respiratoryRateSleepSummary: { sampleTime } });
    assert.equal(none.series.size, 0);
    assert.equal(none.zeros, 1);
    const bad = list('respiratory-rate-sleep-summary', {
      dataSource: TRACKER,
      respiratoryRateSleepSummary: { sampleTime, fullSleepStats: { breathsPerMinute: 'fast' } },
    });
    assert.equal(bad.skipped, 1);
  });
});

describe('rollUp types: per source family, no device', () => {
  it('rollUp types ask the tracker family first, then all sources; each window within the range limit', () => {
    for (const id of ['total-calories', 'floors']) {
      const d = dataType(id);
      assert.deepEqual(d.families, ['google-wearables', 'all-sources']);
      assert.ok(
        d.maxRangeDays !== undefined && d.windowDays <= d.maxRangeDays - 1,
        `${id}: a window of ${d.windowDays} local days stays within the limit across DST`,
      );
    }
    assert.equal(dataType('total-calories').maxRangeDays, 14);
    assert.equal(dataType('floors').maxRangeDays, 90);
    const rec = { rollupDataPoints: [{ startTime: '2026-04-06T04:43:00Z', endTime: '2026-04-06T04:44:00Z', totalCalories: { kcalSum: 1.37 } }] };
    const wear = mapPage(dataType('total-calories'), rec, { ...ctx, family: 'users/me/dataSourceFamilies/google-wearables' });
    assert.deepEqual(samples(wear), { [`calories/${WEARABLES_ROLLUP_SOURCE}`]: [{ t: T, offset: -240, v: 1.37 }] });
    assert.deepEqual(wear.yieldsTo, []);
    const all = mapPage(dataType('total-calories'), rec, { ...ctx, family: 'users/me/dataSourceFamilies/all-sources' });
    assert.deepEqual(samples(all), { [`calories/${ROLLUP_SOURCE}`]: [{ t: T, offset: -240, v: 1.37 }] });
    assert.deepEqual(all.yieldsTo, [WEARABLES_ROLLUP_SOURCE], 'all sources yield to the tracker minute by minute');
  });

  it('total-calories → calories, floors (int64) → floors, zero windows absent (no family: all sources, as pages kept before families were asked)', () => {
    const p = mapPage(
      dataType('total-calories'),
      {
        rollupDataPoints: [
          { startTime: '2026-04-06T04:43:00Z', endTime: '2026-04-06T04:44:00Z', totalCalories: { kcalSum: 1.37 } },
          { startTime: '2026-04-06T04:44:00Z', endTime: '2026-04-06T04:45:00Z' },
        ],
        nextPageToken: 'n2',
      },
      ctx,
    );
    assert.deepEqual(samples(p), { [`calories/${ROLLUP_SOURCE}`]: [{ t: T, offset: -240, v: 1.37 }] });
    assert.equal(p.nextPageToken, 'n2');
    const f = mapPage(
      dataType('floors'),
      { rollupDataPoints: [{ startTime: '2026-04-06T04:43:00Z', endTime: '2026-04-06T04:44:00Z', floors: { countSum: '2' } }] },
      ctx,
    );
    assert.deepEqual(samples(f), { [`floors/${ROLLUP_SOURCE}`]: [{ t: T, offset: -240, v: 2 }] });
  });
});

describe('sessions', () => {
  const sleepPoint = {
    name: 'users/abc/dataTypes/sleep/dataPoints/40000123451',
    dataSource: TRACKER,
    sleep: {
      interval: { startTime: '2026-04-06T02:10:30Z', startUtcOffset: '-14400s', endTime: '2026-04-06T10:02:00Z', endUtcOffset: '-14400s' },
      type: 'STAGES',
      stages: [
        { startTime: '2026-04-06T02:40:30Z', startUtcOffset: '-14400s', endTime: '2026-04-06T03:10:30Z', endUtcOffset: '-14400s', type: 'LIGHT' },
        { startTime: '2026-04-06T02:10:30Z', startUtcOffset: '-14400s', endTime: '2026-04-06T02:40:30Z', endUtcOffset: '-14400s', type: 'AWAKE' },
        { startTime: '2026-04-06T03:10:30Z', startUtcOffset: '-14400s', endTime: '2026-04-06T10:02:00Z', endUtcOffset: '-14400s', type: 'DREAMING' },
      ],
      metadata: { processed: true, stagesStatus: 'SUCCEEDED' },
      summary: {
        minutesAsleep: '440',
        minutesAwake: '31',
        minutesInSleepPeriod: '471',
        minutesAfterWakeUp: '3',
        stagesSummary: [{ type: 'LIGHT', minutes: '30', count: '1' }],
      },
    },
  };

  it('sleep with stages → SessionRecord (layer api), stages sorted, unknown stage → unknown and counted', () => {
    const p = list('sleep', sleepPoint);
    assert.equal(p.sessions.length, 1);
    const s = p.sessions[0]!;
    assert.equal(s.kind, 'sleep');
    assert.equal(s.layer, 'api');
    assert.equal(s.source, 'Inspire 3');
    assert.equal(s.start, Date.UTC(2026, 3, 6, 2, 10, 30));
    assert.equal(s.end, Date.UTC(2026, 3, 6, 10, 2));
    assert.equal(s.startOffset, -240);
    assert.equal(s.externalId, '40000123451');
    assert.equal(s.mainSleep, true);
    assert.deepEqual(
      s.segments.map((g) => g.stage),
      ['wake', 'light', 'unknown'],
    );
    assert.equal(p.unknownEnums, 1);
    assert.equal(s.details.minutesAsleep, 440);
    assert.equal(s.details.minutesToFallAsleep, 0, 'an omitted int64 is zero');
    assert.equal(s.details.type, 'stages');
    assert.equal(p.maxDay, '2026-04-06', 'a sleep belongs to the local day it ends on');
  });

  it('a nap is not the main sleep', () => {
    const nap = structuredClone(sleepPoint) as typeof sleepPoint & { sleep: { metadata: Record<string, unknown> } };
    nap.sleep.metadata.nap = true;
    assert.equal(list('sleep', nap).sessions[0]!.mainSleep, false);
  });

  it('exercise → SessionRecord with the Takeout CSV detail keys', () => {
    const p = list('exercise', {
      name: 'users/abc/dataTypes/exercise/dataPoints/x1',
      dataSource: TRACKER,
      exercise: {
        interval: {
          startTime: '2026-04-06T21:05:10Z',
          startUtcOffset: '-14400s',
          endTime: '2026-04-06T21:46:50Z',
          endUtcOffset: '-14400s',
          civilStartTime: { date: { year: 2026, month: 4, day: 6 }, time: { hours: 17, minutes: 5, seconds: 10 } },
        },
        exerciseType: 'CARDIO_WORKOUT',
        displayName: 'Run',
        activeDuration: '2500s',
        metricsSummary: { caloriesKcal: 412, distanceMillimeters: 6123000, steps: '6802', averageHeartRateBeatsPerMinute: '152', activeZoneMinutes: '58' },
      },
    });
    const s = p.sessions[0]!;
    assert.equal(s.kind, 'exercise');
    assert.equal(s.externalId, 'x1');
    assert.deepEqual(
      { ...s.details },
      {
        activityName: 'Run',
        exerciseType: 'CARDIO_WORKOUT',
        calories: 412,
        steps: 6802,
        averageHeartRate: 152,
        activeZoneMinutes: 58,
        distance: 6.123,
        distanceUnit: 'Kilometer',
        duration: 41 * 60_000 + 40_000,
        activeDuration: 2_500_000,
      },
    );
    assert.equal(p.minDay, '2026-04-06');
  });
});

describe('validation', () => {
  it('malformed points are skipped with a warning naming type and page; the rest is kept', () => {
    const p = list(
      'heart-rate',
      { dataSource: TRACKER, heartRate: { sampleTime, beatsPerMinute: '72' } },
      { dataSource: TRACKER, heartRate: { sampleTime: { physicalTime: 'yesterday' }, beatsPerMinute: '70' } },
      { dataSource: TRACKER, heartRate: { sampleTime, beatsPerMinute: 'fast' } },
      { dataSource: TRACKER, steps: { interval, count: '1' } },
      'not a point',
      { dataSource: TRACKER, heartRate: { sampleTime: { ...sampleTime, utcOffset: '-4h' }, beatsPerMinute: '70' } },
    );
    assert.equal(p.points, 6);
    assert.equal(p.skipped, 5);
    assert.deepEqual(samples(p), { 'heart_rate/Inspire 3': [{ t: TS, offset: -240, v: 72 }] });
    assert.equal(p.warnings.length, 5);
    for (const w of p.warnings) assert.match(w, /^heart-rate: page 1 of 2026-04-06\.\.2026-04-06: data point \d: .*; skipped$/);
    assert.match(p.warnings.join('\n'), /"fast" is not a number/);
    assert.match(p.warnings.join('\n'), /no "heartRate" member/);
  });

  it('a bare {} last page is an empty page; a body that is no response is refused whole', () => {
    const p = mapPage(dataType('steps'), {}, ctx);
    assert.equal(p.points, 0);
    assert.equal(p.nextPageToken, null);
    assert.throws(() => mapPage(dataType('steps'), { dataPoints: {} }, ctx), PageFormatError);
    assert.throws(() => mapPage(dataType('steps'), [1, 2], ctx), /not a JSON object/);
  });

  it('sessions with a broken interval or stages are skipped', () => {
    const p = list(
      'sleep',
      { dataSource: TRACKER, sleep: { interval: { startTime: '2026-04-06T10:00:00Z', endTime: '2026-04-06T09:00:00Z' } } },
      {
        dataSource: TRACKER,
        sleep: { interval: { startTime: '2026-04-06T02:00:00Z', endTime: '2026-04-06T09:00:00Z' }, stages: [{ startTime: 'x', endTime: 'y', type: 'LIGHT' }] },
      },
    );
    assert.equal(p.sessions.length, 0);
    assert.equal(p.skipped, 2);
  });
});

describe('source names from what the point carries (issue 10)', () => {
  const hr = (dataSource: unknown) => ({ ...(dataSource === undefined ? {} : { dataSource }), heartRate: { sampleTime, beatsPerMinute: '61' } });
  const cases: [string, unknown, string][] = [
    ['a named device (Pixel Watch, as seen live)', { device: { displayName: 'Pixel Watch 4', formFactor: 'WATCH' }, platform: 'FITBIT' }, 'Pixel Watch 4'],
    [
      'the name wins over everything, trimmed',
      { device: { displayName: '  Inspire 3 ', manufacturer: 'Fitbit' }, application: { packageName: 'x' } },
      'Inspire 3',
    ],
    ['Fitbit Air: device {} and platform FITBIT', { device: {}, platform: 'FITBIT', recordingMethod: 'PASSIVELY_MEASURED' }, 'Fitbit (unnamed device)'],
    [
      'Health Connect: a manufacturer only (and the app)',
      { platform: 'HEALTH_CONNECT', application: { packageName: 'com.xiaomi.wearable' }, device: { manufacturer: 'xiaomi' } },
      'xiaomi',
    ],
    ['Health Connect: the app only', { platform: 'HEALTH_CONNECT', application: { packageName: 'com.xiaomi.wearable' } }, 'com.xiaomi.wearable'],
    ['a platform and a form factor only', { platform: 'FITBIT', device: { formFactor: 'WATCH' } }, 'Fitbit (unnamed watch)'],
    ['manual entry without a device', { recordingMethod: 'MANUAL', platform: 'FITBIT' }, 'Fitbit (manual entry)'],
    ['another platform', { platform: 'HEALTH_KIT', device: {} }, 'HealthKit (unnamed device)'],
    ['an empty data source', {}, UNKNOWN_DEVICE_SOURCE],
    ['only an unspecified platform', { platform: 'PLATFORM_UNSPECIFIED', device: { displayName: ' ' } }, UNKNOWN_DEVICE_SOURCE],
    ['no data source (a reconciled point)', undefined, UNKNOWN_DEVICE_SOURCE],
  ];
  for (const [name, ds, want] of cases) {
    it(`${name} → ${want}`, () => {
      assert.equal(sourceLabel(ds), want);
      assert.deepEqual(Object.keys(samples(list('heart-rate', hr(ds)))), [`heart_rate/${want}`]);
    });
  }

  it('no point that carries a platform, manufacturer or app is named after an unknown device; names are stable', () => {
    for (const ds of [{ platform: 'FITBIT' }, { device: { manufacturer: 'x' } }, { application: { packageName: 'p' } }, { device: {}, platform: 'NEST' }]) {
      assert.notEqual(sourceLabel(ds), UNKNOWN_DEVICE_SOURCE, JSON.stringify(ds));
      assert.equal(sourceLabel(structuredClone(ds)), sourceLabel(ds));
    }
  });
});

describe('shapes as served live (issue 10)', () => {
  it('"NaN" in a daily record is no value: skipped and counted, the other fields kept, no warning', () => {
    const p = list('daily-heart-rate-variability', {
      dataSource: TRACKER,
      dailyHeartRateVariability: {
        date: { year: 2026, month: 4, day: 6 },
        averageHeartRateVariabilityMilliseconds: 'NaN',
        entropy: 2.5,
        nonRemHeartRateBeatsPerMinute: '55',
      },
    });
    assert.deepEqual(samples(p), {
      'hrv_daily_nremhr/Inspire 3': [{ t: MIDNIGHT, offset: -240, v: 55 }],
      'hrv_daily_entropy/Inspire 3': [{ t: MIDNIGHT, offset: -240, v: 2.5 }],
    });
    assert.equal(p.notANumber, 1);
    assert.equal(p.skipped, 0);
    assert.deepEqual(p.warnings, []);
    const t = list('daily-sleep-temperature-derivations', {
      dataSource: TRACKER,
      dailySleepTemperatureDerivations: { date: { year: 2026, month: 4, day: 6 }, nightlyTemperatureCelsius: 'NaN', relativeNightlyStddev30dCelsius: 'NaN' },
    });
    assert.deepEqual(samples(t), {});
    assert.equal(t.notANumber, 1);
    assert.equal(t.skipped, 0);
  });

  it('live sleep: mainSleep, "0" minutes, no externalId, no civil times; the id from the name, stable', () => {
    const point = {
      name: 'users/abc/dataTypes/sleep/dataPoints/40000123451',
      dataSource: { device: {}, platform: 'FITBIT' },
      sleep: {
        interval: { startTime: '2026-04-06T18:00:00Z', startUtcOffset: '-14400s', endTime: '2026-04-06T18:40:00Z', endUtcOffset: '-14400s' },
        type: 'CLASSIC',
        stages: [{ startTime: '2026-04-06T18:00:00Z', startUtcOffset: '-14400s', endTime: '2026-04-06T18:40:00Z', endUtcOffset: '-14400s', type: 'ASLEEP' }],
        metadata: { processed: true, mainSleep: false, nap: true },
        summary: {
          minutesAsleep: '40',
          minutesAwake: '0',
          minutesInSleepPeriod: '40',
          minutesToFallAsleep: '0',
          minutesAfterWakeUp: '0',
          stagesSummary: [{ type: 'ASLEEP', minutes: '40', count: '1' }],
        },
      },
    };
    const a = list('sleep', point).sessions[0];
    const b = list('sleep', structuredClone(point)).sessions[0];
    assert.ok(a && b);
    assert.deepEqual(a, b);
    assert.equal(a.externalId, '40000123451');
    assert.equal(a.mainSleep, false);
    assert.equal(a.source, 'Fitbit (unnamed device)');
    assert.equal(a.details.minutesAwake, 0);
    // a reconciled point: the id from dataPointName; main sleep from metadata.mainSleep
    const { name, dataSource, ...rest } = point;
    void dataSource;
    const r = list('sleep', { ...rest, dataPointName: name, sleep: { ...point.sleep, metadata: { mainSleep: true } } }).sessions[0];
    assert.equal(r?.externalId, '40000123451');
    assert.equal(r?.mainSleep, true);
    assert.equal(r?.source, UNKNOWN_DEVICE_SOURCE);
  });

  it('live exercise: exerciseEvents, heartRateZoneDurations, exerciseMetadata do not disturb the mapping', () => {
    const p = list('exercise', {
      name: 'users/abc/dataTypes/exercise/dataPoints/40000123452',
      dataSource: { device: { displayName: 'Pixel Watch 4', formFactor: 'WATCH' }, platform: 'FITBIT' },
      exercise: {
        interval: { startTime: '2026-04-06T21:00:00Z', startUtcOffset: '-14400s', endTime: '2026-04-06T21:30:00Z', endUtcOffset: '-14400s' },
        exerciseType: 'CARDIO_WORKOUT',
        activeDuration: '1303s',
        exerciseEvents: [{ eventTime: '2026-04-06T21:00:00Z', eventUtcOffset: '-14400s', exerciseEventType: 'START' }],
        exerciseMetadata: { hasGps: true },
        metricsSummary: { caloriesKcal: 201.5, heartRateZoneDurations: { lightTime: '600s', moderateTime: '703s' } },
      },
    });
    assert.equal(p.skipped, 0);
    const s = p.sessions[0];
    assert.equal(s?.source, 'Pixel Watch 4');
    assert.equal(s?.details.activeDuration, 1_303_000);
    assert.equal(s?.details.activityName, 'CARDIO_WORKOUT');
  });
});
