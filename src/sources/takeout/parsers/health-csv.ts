/**
 * The old Fitbit CSV folders (no data-source column, so they belong to the legacy layer and are
 * de-duplicated against the Google layer like the JSON files):
 * `Heart Rate Variability/` (Details: naive LOCAL; Daily summaries: dates), `Oxygen Saturation
 * (SpO2)/` (Minute SpO2: `Z` stamps; Daily SpO2: dates), `Temperature/Computed Temperature`
 * (LOCAL, dated by the local day the sleep ended), `Active Zone Minutes (AZM)/` (naive LOCAL).
 */
import { csvSamples } from './csv-samples.js';

export const parseHrvDetailsCsv = csvSamples({
  time: ['timestamp'],
  mode: 'instant',
  source: null,
  cols: [
    { metric: 'hrv_rmssd', names: ['rmssd'] },
    { metric: 'hrv_coverage', names: ['coverage'], optional: true },
    { metric: 'hrv_low_frequency', names: ['low frequency'], optional: true },
    { metric: 'hrv_high_frequency', names: ['high frequency'], optional: true },
  ],
});
export const parseDailyHrvSummaryCsv = csvSamples({
  time: ['timestamp'],
  mode: 'date',
  source: null,
  cols: [
    { metric: 'hrv_daily_rmssd', names: ['rmssd'] },
    { metric: 'hrv_daily_nremhr', names: ['nremhr'], optional: true },
    { metric: 'hrv_daily_entropy', names: ['entropy'], optional: true },
  ],
});
export const parseDailyRespiratorySummaryCsv = csvSamples({
  time: ['timestamp'],
  mode: 'date',
  source: null,
  cols: [{ metric: 'respiratory_rate', names: ['daily respiratory rate', 'full sleep breathing rate', 'breathing rate'] }],
});
export const parseMinuteSpo2Csv = csvSamples({ time: ['timestamp'], mode: 'instant', source: null, cols: [{ metric: 'spo2', names: ['value', 'spo2'] }] });
export const parseDailySpo2SummaryCsv = csvSamples({
  time: ['timestamp'],
  mode: 'date',
  source: null,
  cols: [
    { metric: 'spo2_daily_avg', names: ['average value'] },
    { metric: 'spo2_daily_lower', names: ['lower bound'], optional: true },
    { metric: 'spo2_daily_upper', names: ['upper bound'], optional: true },
  ],
});
export const parseComputedTemperatureCsv = csvSamples({
  time: ['sleep end'],
  mode: 'date',
  source: null,
  only: { names: ['type'], values: ['sleep'] },
  cols: [{ metric: 'skin_temperature', names: ['nightly temperature'] }],
});
export const parseAzmLocalCsv = csvSamples({
  time: ['date time'],
  mode: 'instant',
  source: null,
  forceLocal: true,
  cols: [{ metric: 'active_zone_minutes', names: ['total minutes'] }],
});
