/**
 * The Google layer (`Physical Activity_GoogleData/`, older `TIMESERIES_GoogleData/`, 2026 family
 * sub-folders): `Z` stamps (UTC), one series per `data source`; `daily_*` files are dates (the
 * sample goes to LOCAL midnight of the date). Units: distance metres, altitude gain millimetres
 * (`gain`), weight grams, everything else as the registry has it.
 */
import { csvSamples } from './csv-samples.js';

const SRC = ['data source', 'source'];
const TS = ['timestamp', 'time', 'date'];

export const parseHeartRateCsv = csvSamples({
  time: TS,
  mode: 'instant',
  source: SRC,
  cols: [{ metric: 'heart_rate', names: ['beats per minute', 'bpm', 'heart rate', 'value'] }],
});
export const parseStepsCsv = csvSamples({ time: TS, mode: 'instant', source: SRC, cols: [{ metric: 'steps', names: ['steps', 'count', 'value'] }] });
export const parseDistanceCsv = csvSamples({
  time: TS,
  mode: 'instant',
  source: SRC,
  cols: [{ metric: 'distance', names: ['distance', 'distance meters', 'meters', 'value'] }],
});
export const parseCaloriesCsv = csvSamples({ time: TS, mode: 'instant', source: SRC, cols: [{ metric: 'calories', names: ['calories', 'kcal', 'value'] }] });
export const parseAltitudeCsv = csvSamples({
  time: TS,
  mode: 'instant',
  source: SRC,
  cols: [{ metric: 'altitude', names: ['gain', 'altitude gain millimeters', 'altitude', 'value'], autoMm: true }],
});
export const parseFloorsCsv = csvSamples({ time: TS, mode: 'instant', source: SRC, cols: [{ metric: 'floors', names: ['floors', 'count', 'value'] }] });
export const parseAzmCsv = csvSamples({
  time: TS,
  mode: 'instant',
  source: SRC,
  cols: [{ metric: 'active_zone_minutes', names: ['total minutes', 'minutes'] }],
});
export const parseHrvCsv = csvSamples({
  time: TS,
  mode: 'instant',
  source: SRC,
  cols: [
    { metric: 'hrv_rmssd', names: ['root mean square of successive differences milliseconds', 'rmssd'] },
    { metric: 'hrv_sdnn', names: ['standard deviation milliseconds', 'sdnn'], optional: true },
  ],
});
export const parseSpo2Csv = csvSamples({
  time: TS,
  mode: 'instant',
  source: SRC,
  cols: [{ metric: 'spo2', names: ['oxygen saturation percentage', 'percentage', 'value'] }],
});
export const parseWeightCsv = csvSamples({ time: TS, mode: 'instant', source: SRC, cols: [{ metric: 'weight', names: ['weight grams', 'grams'], div: 1000 }] });

export const parseDailyRestingHeartRateCsv = csvSamples({
  time: TS,
  mode: 'date',
  source: SRC,
  cols: [{ metric: 'resting_heart_rate', names: ['beats per minute', 'resting heart rate', 'value'] }],
});
export const parseDailyHrvCsv = csvSamples({
  time: TS,
  mode: 'date',
  source: SRC,
  cols: [
    { metric: 'hrv_daily_rmssd', names: ['average heart rate variability milliseconds', 'rmssd'] },
    { metric: 'hrv_daily_nremhr', names: ['non rem heart rate beats per minute', 'nremhr'], optional: true },
    { metric: 'hrv_daily_entropy', names: ['entropy'], optional: true },
  ],
});
export const parseDailySpo2Csv = csvSamples({
  time: TS,
  mode: 'date',
  source: SRC,
  cols: [
    { metric: 'spo2_daily_avg', names: ['average percentage', 'average value'] },
    { metric: 'spo2_daily_lower', names: ['lower bound percentage', 'lower bound'], optional: true },
    { metric: 'spo2_daily_upper', names: ['upper bound percentage', 'upper bound'], optional: true },
  ],
});
export const parseDailyRespiratoryRateCsv = csvSamples({
  time: TS,
  mode: 'date',
  source: SRC,
  cols: [{ metric: 'respiratory_rate', names: ['breaths per minute', 'respiratory rate', 'value'] }],
});
export const parseDailyTemperatureCsv = csvSamples({
  time: TS,
  mode: 'date',
  source: SRC,
  cols: [{ metric: 'skin_temperature', names: ['nightly temperature celsius', 'nightly temperature'] }],
});
