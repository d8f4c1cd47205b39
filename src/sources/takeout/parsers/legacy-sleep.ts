/**
 * Legacy JSON sleep logs (`sleep-YYYY-MM-DD.json`), LOCAL wall-clock stamps
 * (`2026-04-14T04:26:30.000`). Stages logs have `levels.data` (30 s-resolution stages) and
 * `levels.shortData` (short wakes, ≤ 3 min); Fitbit's own merge lets the short wakes split the
 * longer segments they fall into. Classic logs use asleep / restless / awake.
 */
import type { SessionSegment, SleepStage } from '../../../store/types.js';
import { readJsonArray } from '../json.js';
import type { Zone } from '../../../time/index.js';
import { clip } from '../../../util/clip.js';
import { FileFormatError, NO_ZONE_MESSAGE, jnum, newParts, newSequence, parseIso, quote, type ParseContext } from './common.js';
import type { JsonStream } from './legacy-intraday.js';

export const SLEEP_JSON_SOURCE = 'Fitbit sleep log';

export function sleepStage(level: string): SleepStage {
  switch (level.toLowerCase()) {
    case 'wake':
    case 'awake':
      return 'wake';
    case 'light':
      return 'light';
    case 'deep':
      return 'deep';
    case 'rem':
      return 'rem';
    case 'asleep':
      return 'asleep';
    case 'restless':
      return 'restless';
    default:
      return 'unknown';
  }
}

/** Short wakes split the segments they overlap (Fitbit's merge of `data` and `shortData`). */
export function mergeShortData(data: SessionSegment[], shorts: SessionSegment[]): SessionSegment[] {
  if (!shorts.length) return data;
  const sw = [...shorts].sort((a, b) => a.start - b.start);
  const out: SessionSegment[] = [];
  for (const d of data) {
    let cur = d.start;
    for (const w of sw) {
      if (w.end <= cur || w.start >= d.end) continue;
      if (w.start > cur) out.push({ start: cur, end: w.start, stage: d.stage });
      cur = Math.max(cur, w.end);
      if (cur >= d.end) break;
    }
    if (cur < d.end) out.push({ start: cur, end: d.end, stage: d.stage });
  }
  for (const w of sw) out.push(w);
  out.sort((a, b) => a.start - b.start || a.end - b.end);
  return out;
}

interface RawLevel {
  dateTime?: unknown;
  level?: unknown;
  seconds?: unknown;
}

function convertLog(rec: Record<string, unknown>, zone: Zone, idx: number, ctx: ParseContext): void {
  const p = newParts();
  const st = rec.startTime,
    et = rec.endTime;
  if (typeof st !== 'string' || !parseIso(st, p)) throw new Error(`startTime ${JSON.stringify(st)} is not a local ISO stamp`);
  const seq = newSequence(zone);
  const start = seq.next(p.y, p.mo, p.d, p.h, p.mi, p.s, p.ms);
  const levels = (rec.levels ?? {}) as { data?: unknown; shortData?: unknown; summary?: unknown };
  const items: { dt: string; level: string; seconds: number; short: boolean }[] = [];
  const collect = (arr: unknown, short: boolean): void => {
    if (!Array.isArray(arr)) return;
    for (const x of arr as RawLevel[]) {
      const sec = jnum(x?.seconds);
      if (typeof x?.dateTime !== 'string' || typeof x.level !== 'string' || !Number.isFinite(sec)) {
        ctx.warn(undefined, `sleep log ${idx} (logId ${String(rec.logId)}): bad level entry ${quote(x)}`);
        continue;
      }
      items.push({ dt: x.dateTime, level: x.level, seconds: sec, short });
    }
  };
  collect(levels.data, false);
  collect(levels.shortData, true);
  items.sort((a, b) => (a.dt < b.dt ? -1 : a.dt > b.dt ? 1 : a.short === b.short ? 0 : a.short ? 1 : -1));
  const data: SessionSegment[] = [];
  const shorts: SessionSegment[] = [];
  for (const it of items) {
    if (!parseIso(it.dt, p)) {
      ctx.warn(undefined, `sleep log ${idx}: level dateTime ${quote(it.dt)} is not a local ISO stamp`);
      continue;
    }
    const r = seq.next(p.y, p.mo, p.d, p.h, p.mi, p.s, p.ms);
    const seg = { start: r.t, end: r.t + Math.round(it.seconds * 1000), stage: sleepStage(it.level) };
    (it.short ? shorts : data).push(seg);
  }
  let end: { t: number; offset: number };
  if (typeof et === 'string' && parseIso(et, p)) end = seq.next(p.y, p.mo, p.d, p.h, p.mi, p.s, p.ms);
  else {
    const dur = jnum(rec.duration);
    if (!Number.isFinite(dur)) throw new Error('neither endTime nor duration');
    end = { t: start.t + dur, offset: zone.offsetAt(start.t + dur) };
  }
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (k === 'levels' || k === 'startTime' || k === 'endTime') continue;
    if (v === null || typeof v !== 'object') details[k] = v;
  }
  if (levels.summary && typeof levels.summary === 'object') details.summary = levels.summary;
  ctx.out.sessions.push({
    account: ctx.account,
    kind: 'sleep',
    source: SLEEP_JSON_SOURCE,
    layer: 'takeout-json',
    start: start.t,
    startOffset: start.offset,
    end: end.t,
    endOffset: end.offset,
    externalId: rec.logId === undefined || rec.logId === null ? null : String(rec.logId),
    mainSleep: typeof rec.mainSleep === 'boolean' ? rec.mainSleep : null,
    segments: mergeShortData(data, shorts),
    details,
  });
}

export async function parseSleepJson(stream: JsonStream, ctx: ParseContext, size: number): Promise<void> {
  const zone = ctx.zone;
  if (!zone) throw new FileFormatError(ctx.file, NO_ZONE_MESSAGE);
  let idx = 0;
  for await (const batch of readJsonArray(stream, ctx.file, size)) {
    for (const rec of batch) {
      idx++;
      if (rec === null || typeof rec !== 'object') {
        ctx.warn(undefined, `sleep log ${idx}: not an object`);
        continue;
      }
      try {
        convertLog(rec as Record<string, unknown>, zone, idx, ctx);
      } catch (e) {
        ctx.warn(undefined, `sleep log ${idx}: ${clip((e as Error).message, 500)}; skipped`);
      }
    }
  }
}
