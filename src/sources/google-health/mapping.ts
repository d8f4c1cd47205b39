/**
 * Google Health API pages → store samples and sessions, onto the SAME metrics, units and series
 * as the Takeout importer (src/sources/takeout/parsers/*), so an archive import and an API sync of
 * the same days merge instead of doubling:
 *
 * - source = `sourceLabel(dataSource)`: the device's `displayName` ("Inspire 3", "Fitbit App": the
 *   names of the Takeout CSV `data source` column), else its manufacturer, else the app's package
 *   (Health Connect), else the platform ("Fitbit (unnamed device)"); a point that carries none of
 *   these → UNKNOWN_DEVICE_SOURCE. rollUp-only values (total-calories, floors) have no device: the
 *   source of the family asked (WEARABLES_ROLLUP_SOURCE, ROLLUP_SOURCE for all sources), a later
 *   family yielding minute by minute to an earlier one.
 * - interval points are stamped at the interval start (as the CSV layer stamps its minutes);
 *   sample points at `sampleTime.physicalTime`; daily records at LOCAL midnight of their date in
 *   the account's zone (like the Takeout `daily_*` / legacy daily parsers); rollUp windows at
 *   their start, offset from the zone (they carry none).
 * - offsets from `startUtcOffset` / `utcOffset` ("-14400s" → -240 min); when absent, from the zone.
 * - int64 values arrive as JSON strings; an omitted field is zero (proto3), and a zero amount or
 *   measurement is not stored (the CSV layer has no zero rows either). A double that holds the
 *   proto3 JSON string "NaN" (seen live in daily temperature / HRV records) is no value: not
 *   stored, counted (`notANumber`, and in `zeros`), the point's other fields are kept.
 * - units by the registry's `factor` (mm → m, g → kg), as an exact division so 12340 mm and the
 *   CSV's "12.34" m are the same double.
 *
 * Validation: a malformed point (no union member, no time, a value that is not a number) is
 * skipped and counted with a warning naming the type and page; the page goes on. Enums are open:
 * an unknown sleep stage becomes 'unknown' and is counted.
 */
import { invalidValue, metric as metricDef, type MetricId } from '../../metrics/registry.js';
import type { Sample, SessionRecord, SessionSegment, SleepStage } from '../../store/types.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, daysFromCivil, daysInMonth, localDateAtOffset, type Zone } from '../../time/index.js';
import { clip } from '../../util/clip.js';
import { SOURCE_NAME_MAX_CHARS } from '../takeout/limits.js';
import { UNKNOWN_DEVICE_SOURCE, familyOf, rollupPlacement, type DataTypeDef } from './datatypes.js';

const MAX_OFFSET_MIN = 18 * 60;
const MAX_WARNINGS = 20;

export interface MappedSeries {
  metric: MetricId;
  source: string;
  samples: Sample[];
}

export interface MappedPage {
  /** By `metric \0 source`. */
  series: Map<string, MappedSeries>;
  sessions: SessionRecord[];
  /** Data points (or rollUp windows) in the page. */
  points: number;
  /** Malformed points skipped. */
  skipped: number;
  /** Values omitted, zero or "NaN", not stored. */
  zeros: number;
  /** Values that were the string "NaN" (also counted in `zeros`). */
  notANumber: number;
  /** Enum values not known to the bridge (mapped to 'unknown'). */
  unknownEnums: number;
  warnings: string[];
  /** Local dates (YYYY-MM-DD) of the oldest and newest point, by the member the type is filtered on. */
  minDay: string | null;
  maxDay: string | null;
  nextPageToken: string | null;
  /**
   * Sources whose samples take precedence over this page's, instant by instant (rollUp pages of a
   * later source family: datatypes.ts `rollupPlacement`); empty for every other page.
   */
  yieldsTo: string[];
}

export interface MapContext {
  account: string;
  zone: Zone;
  /** Names the page in warnings, e.g. `heart-rate page 3 of 2026-03-01..2026-03-07`. */
  page: string;
  /** rollUp pages: the request's `dataSourceFamily` (absent: all sources, the API's default). */
  family?: string;
}

/** The page body itself is not a list / rollUp response (the whole page is refused). */
export class PageFormatError extends Error {
  constructor(
    readonly dataType: string,
    readonly page: string,
    message: string,
  ) {
    super(`${dataType}: ${page}: ${message}`);
    this.name = 'PageFormatError';
  }
}

// ---- small parsers ---------------------------------------------------------------------------

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 timestamp → UTC ms (sub-millisecond digits are dropped), or NaN. */
export function parseTimestamp(x: unknown): number {
  if (typeof x !== 'string') return NaN;
  const m = TS_RE.exec(x);
  if (!m) return NaN;
  const y = +m[1]!,
    mo = +m[2]!,
    d = +m[3]!,
    h = +m[4]!,
    mi = +m[5]!,
    s = +m[6]!;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return NaN;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000 + 1e-9) : 0;
  let t = daysFromCivil(y, mo, d) * DAY_MS + h * HOUR_MS + mi * MINUTE_MS + s * 1000 + ms;
  const z = m[8]!;
  if (z !== 'Z' && z !== 'z') {
    const sign = z[0] === '-' ? -1 : 1;
    t -= sign * (+z.slice(1, 3) * 60 + +z.slice(4, 6)) * MINUTE_MS;
  }
  return t;
}

/** proto3 Duration of a UTC offset ("-14400s", "19800s", "0s") → whole minutes east, or null. */
export function parseOffsetDuration(x: unknown): number | null {
  if (typeof x !== 'string') return null;
  const m = /^(-?\d+)(?:\.(\d+))?s$/.exec(x);
  if (!m) return null;
  const sec = Number(m[1]);
  if (m[2] && /[1-9]/.test(m[2])) return null;
  if (sec % 60 !== 0) return null;
  const min = sec / 60;
  return Math.abs(min) <= MAX_OFFSET_MIN ? min : null;
}

/** proto3 Duration ("1303s", "0.5s") → ms, or null. */
export function parseDurationMs(x: unknown): number | null {
  if (typeof x !== 'string') return null;
  const m = /^(-?\d+(?:\.\d+)?)s$/.exec(x);
  return m ? Math.round(Number(m[1]) * 1000) : null;
}

/** A number, an int64 string, or absent (→ 0, proto3); NaN when present but not a number. */
export function numField(x: unknown): number {
  if (x === undefined || x === null) return 0;
  if (typeof x === 'number') return Number.isFinite(x) ? x : NaN;
  if (typeof x === 'string') {
    if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(x.trim())) return NaN;
    return Number(x);
  }
  return NaN;
}

/** An untrusted value quoted in a warning: at most MAX_QUOTE characters. */
function quoteValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(clip(v)) : clip(JSON.stringify(v) ?? String(v));
}

/** proto3 JSON's spelling of a double NaN (and the infinities): a value the record does not have. */
function isNaNText(x: unknown): boolean {
  return x === 'NaN' || x === 'Infinity' || x === '-Infinity';
}

function dateParts(x: unknown): { y: number; mo: number; d: number } | null {
  if (!isObj(x)) return null;
  const y = x.year,
    mo = x.month,
    d = x.day;
  if (typeof y !== 'number' || typeof mo !== 'number' || typeof d !== 'number') return null;
  if (!Number.isInteger(y) || y < 1 || !Number.isInteger(mo) || mo < 1 || mo > 12 || !Number.isInteger(d) || d < 1 || d > daysInMonth(y, mo)) return null;
  return { y, mo, d };
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function fmtDate(y: number, mo: number, d: number): string {
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
}

/** Exact unit conversion: factor 0.001 becomes a division by 1000 (correctly rounded, like the CSV's decimal text). */
function converter(factor: number | undefined): (raw: number) => number {
  if (factor === undefined || factor === 1) return (raw) => raw;
  const inv = 1 / factor;
  if (Math.abs(inv - Math.round(inv)) < 1e-9) {
    const div = Math.round(inv);
    return (raw) => raw / div;
  }
  return (raw) => Math.round(raw * factor * 1e9) / 1e9;
}

// ---- enums ---------------------------------------------------------------------------------

const STAGES: Record<string, SleepStage> = {
  AWAKE: 'wake',
  WAKE: 'wake',
  LIGHT: 'light',
  DEEP: 'deep',
  REM: 'rem',
  ASLEEP: 'asleep',
  RESTLESS: 'restless',
};

/** Sleep stage enum → SleepStage; unknown values (open enum) → 'unknown'. */
export function sleepStageOf(x: unknown): { stage: SleepStage; known: boolean } {
  const s = typeof x === 'string' ? STAGES[x.toUpperCase()] : undefined;
  return s ? { stage: s, known: true } : { stage: 'unknown', known: false };
}

// ---- the field table (from the registry) ---------------------------------------------------------

interface FieldMap {
  metric: MetricId;
  field: string;
  convert: (raw: number) => number;
}

const fieldCache = new Map<string, FieldMap[]>();

function fieldsOf(def: DataTypeDef): FieldMap[] {
  let f = fieldCache.get(def.id);
  if (!f) {
    f = [];
    for (const id of def.metrics) {
      const m = metricDef(id);
      if (!m.googleHealth || m.kind === 'session') continue;
      f.push({ metric: id, field: m.googleHealth.field, convert: converter(m.googleHealth.factor) });
    }
    fieldCache.set(def.id, f);
  }
  return f;
}

// ---- one page ------------------------------------------------------------------------------------

class Out implements MappedPage {
  series = new Map<string, MappedSeries>();
  sessions: SessionRecord[] = [];
  points = 0;
  skipped = 0;
  zeros = 0;
  notANumber = 0;
  unknownEnums = 0;
  warnings: string[] = [];
  minDay: string | null = null;
  maxDay: string | null = null;
  nextPageToken: string | null = null;
  yieldsTo: string[] = [];
  constructor(
    private readonly def: DataTypeDef,
    private readonly ctx: MapContext,
  ) {}

  push(metric: MetricId, source: string, t: number, offset: number, v: number): void {
    const key = `${metric}\u0000${source}`;
    let s = this.series.get(key);
    if (!s) {
      s = { metric, source, samples: [] };
      this.series.set(key, s);
    }
    s.samples.push({ t, offset, v });
  }

  skip(index: number, why: string): void {
    this.skipped++;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(`${this.def.id}: ${this.ctx.page}: data point ${index}: ${clip(why, 500)}; skipped`);
  }

  day(d: string): void {
    if (this.minDay === null || d < this.minDay) this.minDay = d;
    if (this.maxDay === null || d > this.maxDay) this.maxDay = d;
  }
}

const PLATFORM_NAMES: Record<string, string> = {
  FITBIT: 'Fitbit',
  FITBIT_WEB_API: 'Fitbit Web API',
  HEALTH_CONNECT: 'Health Connect',
  HEALTH_KIT: 'HealthKit',
  FIT: 'Google Fit',
  NEST: 'Nest',
  GOOGLE_WEB_API: 'Google Web API',
  GOOGLE_PARTNER_INTEGRATION: 'Google partner integration',
};

function text(x: unknown): string | null {
  if (typeof x !== 'string') return null;
  // capped before anything else: a device name becomes a series, a dump folder and a Prometheus label
  let t = (x.length > 4 * SOURCE_NAME_MAX_CHARS ? x.slice(0, 4 * SOURCE_NAME_MAX_CHARS) : x).trim().replace(/\s+/g, ' ');
  if (t.length > SOURCE_NAME_MAX_CHARS) {
    let end = SOURCE_NAME_MAX_CHARS - 1;
    const c = t.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) end--;
    t = `${t.slice(0, end)}…`;
  }
  return t === '' ? null : t;
}

/**
 * The source (series) name of a `dataSource`, from what it carries, in this order (stable across
 * runs: nothing but the data source goes in):
 * 1. `device.displayName` ("Inspire 3", "Pixel Watch 4"): the name the Takeout CSV `data source`
 *    column gives the same device, so both land in one series;
 * 2. `device.manufacturer` (and a `model`, should one appear): "xiaomi";
 * 3. `application.packageName` (Health Connect): "com.xiaomi.wearable";
 * 4. the platform: "Fitbit (unnamed device)" (e.g. Fitbit Air: `"device": {}`), "Fitbit (unnamed
 *    watch)" when only a form factor is given, "Fitbit (manual entry)" for `recordingMethod: MANUAL`
 *    without a device;
 * 5. nothing at all (or no `dataSource`, as on reconciled points) → UNKNOWN_DEVICE_SOURCE.
 */
export function sourceLabel(ds: unknown): string {
  if (!isObj(ds)) return UNKNOWN_DEVICE_SOURCE;
  const dev = isObj(ds.device) ? ds.device : null;
  const name = text(dev?.displayName);
  if (name) return name;
  const maker = [text(dev?.manufacturer), text(dev?.model)].filter((x): x is string => x !== null);
  if (maker.length) return maker.join(' ');
  const app = isObj(ds.application) ? ds.application : null;
  const pkg = text(app?.packageName) ?? text(app?.webClientId) ?? text(app?.googleWebClientId);
  if (pkg) return pkg;
  const raw = text(ds.platform);
  if (raw === null || raw === 'PLATFORM_UNSPECIFIED') return UNKNOWN_DEVICE_SOURCE;
  const platform = PLATFORM_NAMES[raw] ?? raw;
  const form = text(dev?.formFactor);
  if (form && form !== 'FORM_FACTOR_UNSPECIFIED') return `${platform} (unnamed ${form.toLowerCase().replace(/_/g, ' ')})`;
  if (!dev && ds.recordingMethod === 'MANUAL') return `${platform} (manual entry)`;
  return `${platform} (unnamed device)`;
}

function sourceOf(dp: Record<string, unknown>): string {
  return sourceLabel(dp.dataSource);
}

interface Stamp {
  t: number;
  offset: number;
}

/** Instant and offset of an interval start / sample time; offset from the zone when the point has none. */
function stampOf(tRaw: unknown, offRaw: unknown, zone: Zone): Stamp | string {
  const t = parseTimestamp(tRaw);
  if (!Number.isFinite(t)) return `time ${quoteValue(tRaw)} is not an RFC 3339 timestamp`;
  if (offRaw === undefined) return { t, offset: zone.offsetAt(t) };
  const off = parseOffsetDuration(offRaw);
  if (off === null) return `UTC offset ${quoteValue(offRaw)} is not whole minutes like "-14400s"`;
  return { t, offset: off };
}

/** The value at a field path (`fullSleepStats.breathsPerMinute`): undefined when a message on the way is absent. */
function fieldAt(rec: Record<string, unknown>, path: string): unknown {
  let x: unknown = rec;
  for (const k of path.split('.')) {
    if (!isObj(x)) return undefined;
    x = x[k];
  }
  return x;
}

function mapValues(out: Out, fields: FieldMap[], rec: Record<string, unknown>, source: string, st: Stamp, index: number): boolean {
  // validate every field first: a malformed point is skipped whole
  const vals: number[] = [];
  for (const f of fields) {
    const v = fieldAt(rec, f.field);
    if (isNaNText(v)) {
      vals.push(NaN);
      continue;
    }
    const raw = numField(v);
    if (Number.isNaN(raw)) {
      out.skip(index, `${f.field} ${quoteValue(v)} is not a number`);
      return false;
    }
    // physiological / physical range of the metric (registry `valid`); 0 is proto3's "absent"
    const why = raw === 0 ? null : invalidValue(f.metric, f.convert(raw));
    if (why) {
      out.skip(index, `${f.field} ${why}`);
      return false;
    }
    vals.push(raw);
  }
  fields.forEach((f, i) => {
    const raw = vals[i]!;
    if (Number.isNaN(raw)) {
      out.notANumber++;
      out.zeros++;
      return;
    }
    if (raw === 0) {
      out.zeros++;
      return;
    }
    out.push(f.metric, source, st.t, st.offset, f.convert(raw));
  });
  return true;
}

function mapListPoint(def: DataTypeDef, out: Out, dp: unknown, index: number, ctx: MapContext): void {
  if (!isObj(dp)) return out.skip(index, 'not an object');
  const rec = dp[def.unionKey];
  if (!isObj(rec)) return out.skip(index, `no "${def.unionKey}" member`);
  const source = sourceOf(dp);
  const fields = fieldsOf(def);
  switch (def.record) {
    case 'interval': {
      const iv = rec.interval;
      if (!isObj(iv)) return out.skip(index, 'no interval');
      const st = stampOf(iv.startTime, iv.startUtcOffset, ctx.zone);
      if (typeof st === 'string') return out.skip(index, st);
      if (mapValues(out, fields, rec, source, st, index)) out.day(localDateAtOffset(st.t, st.offset));
      return;
    }
    case 'sample': {
      const s = rec.sampleTime;
      if (!isObj(s)) return out.skip(index, 'no sampleTime');
      const st = stampOf(s.physicalTime, s.utcOffset, ctx.zone);
      if (typeof st === 'string') return out.skip(index, st);
      if (mapValues(out, fields, rec, source, st, index)) out.day(localDateAtOffset(st.t, st.offset));
      return;
    }
    case 'daily': {
      const d = dateParts(rec.date);
      if (!d) return out.skip(index, `date ${quoteValue(rec.date)} is not {year, month, day}`);
      const m = ctx.zone.fromLocal(d.y, d.mo, d.d, 0, 0, 0, 0, 'earlier');
      if (mapValues(out, fields, rec, source, { t: m.t, offset: m.offset }, index)) out.day(fmtDate(d.y, d.mo, d.d));
      return;
    }
    case 'session':
      return def.id === 'sleep' ? mapSleep(out, dp, rec, source, index, ctx) : mapExercise(out, dp, rec, source, index, ctx);
    default:
      return out.skip(index, `record kind ${def.record} is not a list record`);
  }
}

interface Span {
  start: number;
  startOffset: number;
  end: number;
  endOffset: number;
}

function spanOf(iv: unknown, zone: Zone): Span | string {
  if (!isObj(iv)) return 'no interval';
  const a = stampOf(iv.startTime, iv.startUtcOffset, zone);
  if (typeof a === 'string') return `start ${a}`;
  const b = stampOf(iv.endTime, iv.endUtcOffset, zone);
  if (typeof b === 'string') return `end ${b}`;
  if (b.t < a.t) return 'end is before start';
  return { start: a.t, startOffset: a.offset, end: b.t, endOffset: b.offset };
}

/**
 * The provider id of a session: the last segment of the point's `name` (list) or `dataPointName`
 * (reconcile), else `fallback` (a sleep's `metadata.externalId`, which live points do not carry).
 * Informational only: a session is keyed by (account, kind, source, layer, start), stable across runs.
 */
function idOf(dp: Record<string, unknown>, fallback: unknown): string | null {
  for (const n of [dp.name, dp.dataPointName]) {
    if (typeof n === 'string' && n !== '') {
      const i = n.lastIndexOf('/');
      return i >= 0 ? n.slice(i + 1) : n;
    }
  }
  return typeof fallback === 'string' && fallback !== '' ? fallback : null;
}

function intOrNull(x: unknown): number | null {
  if (x === undefined || x === null) return null;
  const v = numField(x);
  return Number.isFinite(v) ? v : null;
}

function mapSleep(out: Out, dp: Record<string, unknown>, rec: Record<string, unknown>, source: string, index: number, ctx: MapContext): void {
  const span = spanOf(rec.interval, ctx.zone);
  if (typeof span === 'string') return out.skip(index, span);
  const segments: SessionSegment[] = [];
  const rawStages = rec.stages;
  if (rawStages !== undefined && !Array.isArray(rawStages)) return out.skip(index, 'stages is not a list');
  for (const [k, g] of (rawStages ?? []).entries()) {
    if (!isObj(g)) return out.skip(index, `stage ${k} is not an object`);
    const a = parseTimestamp(g.startTime),
      b = parseTimestamp(g.endTime);
    if (!Number.isFinite(a) || !Number.isFinite(b) || b < a) return out.skip(index, `stage ${k} has no valid startTime / endTime`);
    const s = sleepStageOf(g.type);
    if (!s.known) out.unknownEnums++;
    segments.push({ start: a, end: b, stage: s.stage });
  }
  segments.sort((x, y) => x.start - y.start || x.end - y.end);
  const meta = isObj(rec.metadata) ? rec.metadata : {};
  const sum = isObj(rec.summary) ? rec.summary : {};
  const type = typeof rec.type === 'string' ? rec.type.toLowerCase() : null;
  const details: Record<string, unknown> = {
    type,
    minutesAsleep: intOrNull(sum.minutesAsleep) ?? 0,
    minutesAwake: intOrNull(sum.minutesAwake) ?? 0,
    minutesToFallAsleep: intOrNull(sum.minutesToFallAsleep) ?? 0,
    minutesAfterWakeup: intOrNull(sum.minutesAfterWakeUp) ?? 0,
    timeInBed: intOrNull(sum.minutesInSleepPeriod) ?? 0,
  };
  if (Array.isArray(sum.stagesSummary)) {
    const ss: Record<string, { minutes: number; count: number }> = {};
    for (const x of sum.stagesSummary) {
      if (!isObj(x)) continue;
      const st = sleepStageOf(x.type);
      if (!st.known) out.unknownEnums++;
      ss[st.stage] = { minutes: intOrNull(x.minutes) ?? 0, count: intOrNull(x.count) ?? 0 };
    }
    details.stagesSummary = ss;
  }
  for (const k of ['processed', 'manuallyEdited', 'nap'] as const) if (typeof meta[k] === 'boolean') details[k] = meta[k];
  if (typeof meta.stagesStatus === 'string') details.stagesStatus = meta.stagesStatus;
  // proto3 omits false: with metadata present, an absent `nap` is a main sleep
  const mainSleep = !isObj(rec.metadata) ? null : typeof meta.mainSleep === 'boolean' ? meta.mainSleep : meta.nap !== true;
  out.sessions.push({
    account: ctx.account,
    kind: 'sleep',
    source,
    layer: 'api',
    start: span.start,
    startOffset: span.startOffset,
    end: span.end,
    endOffset: span.endOffset,
    externalId: idOf(dp, meta.externalId),
    mainSleep,
    segments,
    details,
  });
  out.day(localDateAtOffset(span.end, span.endOffset));
}

function mapExercise(out: Out, dp: Record<string, unknown>, rec: Record<string, unknown>, source: string, index: number, ctx: MapContext): void {
  const span = spanOf(rec.interval, ctx.zone);
  if (typeof span === 'string') return out.skip(index, span);
  const ms = isObj(rec.metricsSummary) ? rec.metricsSummary : {};
  const num = (x: unknown): number | null => {
    const v = intOrNull(x);
    return v === null || v === 0 ? null : v;
  };
  const distMm = num(ms.distanceMillimeters);
  const exerciseType = typeof rec.exerciseType === 'string' ? rec.exerciseType : null;
  const details: Record<string, unknown> = {
    // the same keys as the Takeout CSV exercise rows (sessions-csv.ts)
    activityName: typeof rec.displayName === 'string' && rec.displayName !== '' ? rec.displayName : exerciseType,
    exerciseType,
    calories: num(ms.caloriesKcal),
    steps: num(ms.steps),
    averageHeartRate: num(ms.averageHeartRateBeatsPerMinute),
    activeZoneMinutes: num(ms.activeZoneMinutes),
    distance: distMm === null ? null : distMm / 1e6,
    distanceUnit: 'Kilometer',
    duration: span.end - span.start,
    activeDuration: parseDurationMs(rec.activeDuration),
  };
  const gain = num(ms.elevationGainMillimeters);
  if (gain !== null) details.elevationGain = gain / 1000;
  out.sessions.push({
    account: ctx.account,
    kind: 'exercise',
    source,
    layer: 'api',
    start: span.start,
    startOffset: span.startOffset,
    end: span.end,
    endOffset: span.endOffset,
    externalId: idOf(dp, null),
    mainSleep: null,
    segments: [],
    details,
  });
  const civil = isObj(rec.interval) ? dateParts(isObj(rec.interval.civilStartTime) ? rec.interval.civilStartTime.date : undefined) : null;
  out.day(civil ? fmtDate(civil.y, civil.mo, civil.d) : localDateAtOffset(span.start, span.startOffset));
}

function mapRollupPoint(def: DataTypeDef, out: Out, rp: unknown, index: number, ctx: MapContext, source: string): void {
  if (!isObj(rp)) return out.skip(index, 'not an object');
  const t = parseTimestamp(rp.startTime);
  if (!Number.isFinite(t)) return out.skip(index, `startTime ${quoteValue(rp.startTime)} is not an RFC 3339 timestamp`);
  const rec = rp[def.unionKey];
  if (rec === undefined) {
    out.zeros++;
    return;
  }
  if (!isObj(rec)) return out.skip(index, `"${def.unionKey}" is not an object`);
  const offset = ctx.zone.offsetAt(t);
  if (mapValues(out, fieldsOf(def), rec, source, { t, offset }, index)) out.day(localDateAtOffset(t, offset));
}

/**
 * Maps one response page of `def`. Throws PageFormatError when the body is not a response of the
 * expected shape (not an object, `dataPoints` not a list); single bad points are skipped.
 */
export function mapPage(def: DataTypeDef, body: unknown, ctx: MapContext): MappedPage {
  const out = new Out(def, ctx);
  if (!isObj(body)) throw new PageFormatError(def.id, ctx.page, 'the response is not a JSON object');
  const key = def.method === 'rollUp' ? 'rollupDataPoints' : 'dataPoints';
  const list = body[key];
  if (list !== undefined && !Array.isArray(list)) throw new PageFormatError(def.id, ctx.page, `"${key}" is not a list`);
  const tok = body.nextPageToken;
  if (tok !== undefined && typeof tok !== 'string') throw new PageFormatError(def.id, ctx.page, 'nextPageToken is not a string');
  out.nextPageToken = typeof tok === 'string' && tok !== '' ? tok : null;
  const points = (list ?? []) as unknown[];
  out.points = points.length;
  // rollUp windows carry no device: their source is the family asked (an unknown family: all sources)
  const placement = def.method === 'rollUp' ? rollupPlacement(def, familyOf(ctx.family) ?? 'all-sources') : null;
  if (placement) out.yieldsTo = placement.yieldsTo;
  for (let i = 0; i < points.length; i++) {
    if (placement) mapRollupPoint(def, out, points[i], i, ctx, placement.source);
    else mapListPoint(def, out, points[i], i, ctx);
  }
  return out;
}
