/**
 * Legacy JSON daily records, weight logs and exercise logs.
 * - resting_heart_rate-*.json: `{dateTime, value:{date, value, error}}`; `date: null` / value 0 is a
 *   missing day, not a sample. Stamped at LOCAL midnight of the date.
 * - weight-*.json: `{logId, weight, bmi, date:"MM/DD/YY", time:"HH:MM:SS", source}` in LOCAL time;
 *   weight in pounds or kilograms per the profile's unit (decided per file, never silently).
 * - exercise-N.json: `startTime` "MM/DD/YY HH:MM:SS" in UTC, duration ms.
 */
import { invalidValue } from '../../../metrics/registry.js';
import { LEGACY_JSON_SOURCE } from '../../../store/types.js';
import { DAY_MS, MINUTE_MS } from '../../../time/index.js';
import { readJsonArray } from '../json.js';
import {
  FileFormatError,
  NO_ZONE_MESSAGE,
  OffsetCache,
  jnum,
  newParts,
  newSequence,
  parseIso,
  parseLegacy,
  quote,
  utcOf,
  type ParseContext,
} from './common.js';
import type { JsonStream } from './legacy-intraday.js';

export const EXERCISE_JSON_SOURCE = 'Fitbit exercise log';
export const LB_TO_KG = 0.45359237;

function parseDate(s: unknown, p: ReturnType<typeof newParts>): boolean {
  if (typeof s !== 'string') return false;
  if (s.length === 8 || s.length === 17) return parseLegacy(s, p);
  return parseIso(s, p);
}

export async function parseRestingHeartRateJson(stream: JsonStream, ctx: ParseContext, size: number): Promise<void> {
  const zone = ctx.zone;
  if (!zone) throw new FileFormatError(ctx.file, NO_ZONE_MESSAGE);
  const p = newParts();
  const buf = ctx.out.buffer('resting_heart_rate', LEGACY_JSON_SOURCE);
  let idx = 0;
  for await (const batch of readJsonArray(stream, ctx.file, size)) {
    for (const r of batch) {
      idx++;
      const rec = r as { dateTime?: unknown; value?: { date?: unknown; value?: unknown } | null } | null;
      const val = rec?.value;
      if (!rec || !val || typeof val !== 'object') {
        ctx.warn(undefined, `record ${idx}: no value object`);
        continue;
      }
      if (val.date === null || val.date === undefined) continue; // a missing day, not a sample
      const v = jnum(val.value);
      if (!Number.isFinite(v)) {
        ctx.warn(undefined, `record ${idx}: value ${quote(val.value)} is not a number`);
        continue;
      }
      if (v === 0) continue;
      const why = invalidValue('resting_heart_rate', v);
      if (why) {
        ctx.warn(undefined, `record ${idx}: value ${why}; skipped`);
        continue;
      }
      if (!parseDate(val.date, p) && !parseDate(rec.dateTime, p)) {
        ctx.warn(undefined, `record ${idx}: date ${quote(val.date)} is not "MM/DD/YY" (or no such calendar date)`);
        continue;
      }
      const m = zone.midnight(p.y, p.mo, p.d);
      buf.push(m.t, m.offset, v);
    }
  }
}

type WeightUnit = 'lb' | 'kg';

/** Decides the unit of a weight file's values; returns the unit and what the decision rests on. */
function decideWeightUnit(ctx: ParseContext, recs: { w: number; bmi: number; t: number }[]): { unit: WeightUnit; why: string; sure: boolean } {
  const pu = ctx.profile?.weightUnit?.toUpperCase() ?? null;
  if (pu) {
    if (pu.includes('POUND') || pu === 'LB' || pu === 'LBS' || pu === 'US' || pu === 'EN_US')
      return { unit: 'lb', why: `Profile.csv weight_unit ${pu}`, sure: true };
    if (pu.includes('KILO') || pu === 'KG' || pu === 'METRIC') return { unit: 'kg', why: `Profile.csv weight_unit ${pu}`, sure: true };
  }
  // BMI and height
  const h = ctx.profile?.heightCm;
  let lbVotes = 0,
    kgVotes = 0;
  for (const r of recs) {
    if (!(r.bmi > 5 && r.bmi < 80)) continue;
    if (h && h > 80 && h < 250) {
      const kg = r.bmi * (h / 100) ** 2;
      const dKg = Math.abs(r.w - kg),
        dLb = Math.abs(r.w * LB_TO_KG - kg);
      if (Math.min(dKg, dLb) < kg * 0.05) {
        if (dLb < dKg) lbVotes++;
        else kgVotes++;
      }
    } else {
      // plausible heights 1.30–2.20 m
      const lo = r.bmi * 1.3 ** 2,
        hi = r.bmi * 2.2 ** 2;
      const asKg = r.w >= lo && r.w <= hi,
        asLb = r.w * LB_TO_KG >= lo && r.w * LB_TO_KG <= hi;
      if (asKg && !asLb) kgVotes++;
      else if (asLb && !asKg) lbVotes++;
    }
  }
  if (lbVotes + kgVotes > 0 && (lbVotes === 0 || kgVotes === 0)) {
    return { unit: lbVotes ? 'lb' : 'kg', why: h ? `BMI and profile height (${h} cm)` : 'BMI plausibility (heights 1.30–2.20 m)', sure: true };
  }
  // weight.csv (grams) already seen
  if (recs.length) {
    let from = Infinity,
      to = -Infinity;
    for (const r of recs) {
      from = Math.min(from, r.t);
      to = Math.max(to, r.t);
    }
    const known = ctx.knownWeightsKg(from - DAY_MS, to + DAY_MS);
    if (known.length) {
      known.sort((a, b) => a - b);
      const med = known[known.length >> 1] as number;
      const ws = recs.map((r) => r.w).sort((a, b) => a - b);
      const wm = ws[ws.length >> 1] as number;
      const unit: WeightUnit = Math.abs(wm * LB_TO_KG - med) < Math.abs(wm - med) ? 'lb' : 'kg';
      return { unit, why: 'comparison with weight.csv (grams)', sure: true };
    }
  }
  return {
    unit: 'lb',
    why: "nothing to decide by (no profile unit, height, BMI or weight.csv): ASSUMED pounds, Fitbit's default; pass a Profile.csv or check the values",
    sure: false,
  };
}

export async function parseWeightJson(stream: JsonStream, ctx: ParseContext, size: number): Promise<void> {
  const zone = ctx.zone;
  if (!zone) throw new FileFormatError(ctx.file, NO_ZONE_MESSAGE);
  const p = newParts();
  // t: the wall clock read as UTC (only used to pick a window for the unit decision)
  const recs: { w: number; bmi: number; t: number; parts: [number, number, number, number, number, number] }[] = [];
  let idx = 0;
  for await (const batch of readJsonArray(stream, ctx.file, size)) {
    for (const r of batch) {
      idx++;
      const rec = r as { weight?: unknown; bmi?: unknown; date?: unknown; time?: unknown } | null;
      const w = jnum(rec?.weight);
      if (!rec || !Number.isFinite(w) || w <= 0) {
        ctx.warn(undefined, `record ${idx}: weight ${quote(rec?.weight)} is not a positive number`);
        continue;
      }
      const stamp = typeof rec.time === 'string' ? `${String(rec.date)} ${rec.time}` : String(rec.date);
      if (!parseDate(stamp, p)) {
        ctx.warn(undefined, `record ${idx}: date/time ${quote(stamp)} is not "MM/DD/YY HH:MM:SS" (or no such calendar date)`);
        continue;
      }
      recs.push({ w, bmi: jnum(rec.bmi), t: utcOf(p), parts: [p.y, p.mo, p.d, p.h, p.mi, p.s] });
    }
  }
  if (!recs.length) return;
  const unit = decideWeightUnit(ctx, recs);
  ctx.out.notes.push(`weight values read as ${unit.unit === 'lb' ? 'pounds' : 'kilograms'} (${unit.why})`);
  if (!unit.sure) ctx.warn(undefined, `weight unit unknown: ${unit.why}`);
  const buf = ctx.out.buffer('weight', LEGACY_JSON_SOURCE);
  const seq = newSequence(zone);
  for (const r of recs) {
    const a = r.parts;
    const x = seq.next(a[0], a[1], a[2], a[3], a[4], a[5], 0);
    const kg = unit.unit === 'lb' ? Math.round(r.w * LB_TO_KG * 1e6) / 1e6 : r.w;
    const why = invalidValue('weight', kg);
    if (why) {
      ctx.warn(undefined, `weight ${r.w} ${unit.unit}: ${why}; skipped`);
      continue;
    }
    buf.push(x.t, x.offset, kg);
  }
}

export async function parseExerciseJson(stream: JsonStream, ctx: ParseContext, size: number): Promise<void> {
  const offs = new OffsetCache(ctx.zone);
  const p = newParts();
  let idx = 0;
  for await (const batch of readJsonArray(stream, ctx.file, size)) {
    for (const r of batch) {
      idx++;
      const rec = r as Record<string, unknown> | null;
      if (!rec || typeof rec !== 'object') {
        ctx.warn(undefined, `exercise ${idx}: not an object`);
        continue;
      }
      const st = rec.startTime;
      if (typeof st !== 'string' || !(parseLegacy(st, p) || parseIso(st, p))) {
        ctx.warn(undefined, `exercise ${idx}: startTime ${quote(st)} is not "MM/DD/YY HH:MM:SS" (or no such calendar date)`);
        continue;
      }
      // UTC stamps (an ISO stamp with an explicit offset is honoured)
      const start = utcOf(p) - (p.zone === 'offset' ? p.off * MINUTE_MS : 0);
      const dur = jnum(rec.duration ?? rec.activeDuration);
      if (!Number.isFinite(dur) || dur < 0) {
        ctx.warn(undefined, `exercise ${idx}: duration ${quote(rec.duration)} is not a number`);
        continue;
      }
      const end = start + dur;
      const src = rec.source as { name?: unknown } | undefined;
      ctx.out.sessions.push({
        account: ctx.account,
        kind: 'exercise',
        source: EXERCISE_JSON_SOURCE,
        layer: 'takeout-json',
        start,
        startOffset: offs.at(start),
        end,
        endOffset: offs.at(end),
        externalId: rec.logId === undefined || rec.logId === null ? null : String(rec.logId),
        mainSleep: null,
        segments: [],
        details: {
          activityName: rec.activityName ?? null,
          calories: rec.calories ?? null,
          steps: rec.steps ?? null,
          averageHeartRate: rec.averageHeartRate ?? null,
          distance: rec.distance ?? null,
          distanceUnit: rec.distanceUnit ?? null,
          duration: dur,
          activeDuration: rec.activeDuration ?? null,
          logType: rec.logType ?? null,
          device: typeof src?.name === 'string' ? src.name : null,
          activeZoneMinutes: (rec.activeZoneMinutes as { totalMinutes?: unknown } | undefined)?.totalMinutes ?? null,
          elevationGain: rec.elevationGain ?? null,
        },
      });
    }
  }
}
