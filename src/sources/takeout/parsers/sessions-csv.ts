/**
 * `Health Fitness Data_GoogleData/` session files, UTC stamps (`2026-04-12 05:45:30+0000` or
 * `…T05:45:30Z`) with explicit offset columns (`-04:00`), which are used as given:
 * - UserSleeps_*.csv → sleep sessions (layer takeout-csv, source = data_source, version =
 *   algorithm_version: real files list each sleep once per version, often under one sleep_id), no segments;
 * - UserSleepStages_*.csv → stage groups keyed by (sleep_id, algorithm version number: `sleep_stages_v2`
 *   belongs to `sleep_session_v2`), joined to the sessions by import.ts whichever file comes first;
 * - UserExercises_*.csv → exercise sessions.
 */
import { readCsv } from '../csv.js';
import { MINUTE_MS } from '../../../time/index.js';
import { FileFormatError, newParts, num, parseIso, parseOffsetText, quote, sourceName, utcOf, type ParseContext, type StageGroup } from './common.js';
import { normName, type CsvStream } from './csv-samples.js';
import { sleepStage } from './legacy-sleep.js';
import { algorithmNumber } from '../../../reconcile/sleep.js';

export const CSV_SESSION_DEFAULT_SOURCE = 'Google export';

interface Cols {
  [k: string]: number;
}

function header(file: string, raw: string[], spec: Record<string, string[]>, optional: Record<string, string[]>): Cols {
  const h = raw.map(normName);
  const out: Cols = {};
  const missing: string[] = [];
  const find = (names: string[]): number => {
    for (const n of names) {
      const i = h.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  for (const [k, names] of Object.entries(spec)) {
    out[k] = find(names);
    if (out[k] < 0) missing.push((names[0] as string).replace(/ /g, '_'));
  }
  for (const [k, names] of Object.entries(optional)) out[k] = find(names);
  if (missing.length) throw new FileFormatError(file, `unexpected CSV header ${quote(raw.join(','))} (line 1): expected column(s) ${missing.join(', ')}`);
  return out;
}

const P = newParts();

/** A UTC stamp (`…+0000`, `…Z`, or any explicit offset); naive stamps are taken as UTC too (the files say "at UTC"). */
function utcStamp(s: string | undefined): number | null {
  if (s === undefined || !parseIso(s, P)) return null;
  return utcOf(P) - (P.zone === 'offset' ? P.off * MINUTE_MS : 0);
}

function cell(row: string[], i: number | undefined): string | undefined {
  return i === undefined || i < 0 ? undefined : row[i];
}

function detailsOf(row: string[], hdr: string[], skip: Set<number>): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  for (let i = 0; i < hdr.length; i++) {
    if (skip.has(i)) continue;
    const v = row[i];
    if (v === undefined || v === '') continue;
    const n = num(v);
    d[hdr[i] as string] = Number.isFinite(n) && /^-?[\d.]+$/.test(v) ? n : v;
  }
  return d;
}

export async function parseUserSleepsCsv(stream: CsvStream, ctx: ParseContext): Promise<void> {
  let c: Cols | null = null;
  let hdr: string[] = [];
  let skip = new Set<number>();
  for await (const batch of readCsv(stream, ctx.file)) {
    if (!c) {
      c = header(
        ctx.file,
        batch.header,
        {
          id: ['sleep id'],
          start: ['sleep start'],
          end: ['sleep end'],
        },
        { so: ['start utc offset'], eo: ['end utc offset'], src: ['data source'], type: ['sleep type'], ver: ['algorithm version'] },
      );
      hdr = batch.header.map((h) => h.trim());
      skip = new Set([c.start, c.end, c.so, c.eo, c.src].filter((i): i is number => i !== undefined && i >= 0));
    }
    for (let r = 0; r < batch.rows.length; r++) {
      const row = batch.rows[r] as string[];
      const line = batch.lines[r] as number;
      const id = cell(row, c.id)?.trim();
      const start = utcStamp(cell(row, c.start));
      const end = utcStamp(cell(row, c.end));
      if (!id || start === null || end === null || end < start) {
        ctx.warn(line, `sleep row needs sleep_id, sleep_start and sleep_end (UTC stamps, end after start); row skipped`);
        continue;
      }
      const so = parseOffsetText(cell(row, c.so) ?? '');
      const eo = parseOffsetText(cell(row, c.eo) ?? '');
      if (so === null || eo === null) {
        ctx.warn(line, `start_utc_offset / end_utc_offset ${quote(cell(row, c.so))} / ${quote(cell(row, c.eo))} is not like -04:00; row skipped`);
        continue;
      }
      const details = detailsOf(row, hdr, skip);
      ctx.out.sessions.push({
        account: ctx.account,
        kind: 'sleep',
        source: sourceName(ctx.file, line, cell(row, c.src)?.trim() || CSV_SESSION_DEFAULT_SOURCE),
        layer: 'takeout-csv',
        start,
        startOffset: so,
        end,
        endOffset: eo,
        externalId: id,
        mainSleep: null,
        version: cell(row, c.ver)?.trim() ?? '',
        segments: [],
        details,
      });
    }
  }
  if (!c) throw new FileFormatError(ctx.file, 'empty file (no header line)');
}

export async function parseUserSleepStagesCsv(stream: CsvStream, ctx: ParseContext): Promise<void> {
  let c: Cols | null = null;
  const groups = new Map<string, StageGroup>();
  for await (const batch of readCsv(stream, ctx.file)) {
    if (!c) {
      c = header(
        ctx.file,
        batch.header,
        {
          id: ['sleep id'],
          type: ['sleep stage type'],
          start: ['sleep stage start'],
          end: ['sleep stage end'],
        },
        { src: ['data source'], ver: ['algorithm version'] },
      );
    }
    for (let r = 0; r < batch.rows.length; r++) {
      const row = batch.rows[r] as string[];
      const line = batch.lines[r] as number;
      const id = cell(row, c.id)?.trim();
      const start = utcStamp(cell(row, c.start));
      const end = utcStamp(cell(row, c.end));
      const type = cell(row, c.type)?.trim() ?? '';
      if (!id || start === null || end === null || end < start) {
        ctx.warn(line, `stage row needs sleep_id, sleep_stage_start and sleep_stage_end (UTC stamps); row skipped`);
        continue;
      }
      const version = cell(row, c.ver)?.trim() ?? '';
      const key = `${id}\u0000${algorithmNumber(version)}`;
      let g = groups.get(key);
      if (!g) {
        g = { sleepId: id, version, source: sourceName(ctx.file, line, cell(row, c.src)?.trim() || CSV_SESSION_DEFAULT_SOURCE), segments: [] };
        groups.set(key, g);
      }
      g.segments.push({ start, end, stage: sleepStage(type) });
    }
  }
  if (!c) throw new FileFormatError(ctx.file, 'empty file (no header line)');
  for (const g of groups.values()) {
    g.segments.sort((a, b) => a.start - b.start);
    ctx.out.stageGroups.push(g);
  }
}

export async function parseUserExercisesCsv(stream: CsvStream, ctx: ParseContext): Promise<void> {
  let c: Cols | null = null;
  let hdr: string[] = [];
  let skip = new Set<number>();
  for await (const batch of readCsv(stream, ctx.file)) {
    if (!c) {
      c = header(
        ctx.file,
        batch.header,
        { id: ['exercise id'], start: ['exercise start'], end: ['exercise end'] },
        {
          off: ['utc offset'],
          src: ['data source'],
          name: ['activity name'],
          cal: ['tracker total calories'],
          steps: ['tracker total steps'],
          dist: ['tracker total distance mm'],
          hr: ['tracker avg heart rate'],
          units: ['distance units'],
        },
      );
      hdr = batch.header.map((h) => h.trim());
      skip = new Set([c.start, c.end, c.off, c.src].filter((i): i is number => i !== undefined && i >= 0));
    }
    for (let r = 0; r < batch.rows.length; r++) {
      const row = batch.rows[r] as string[];
      const line = batch.lines[r] as number;
      const id = cell(row, c.id)?.trim();
      const start = utcStamp(cell(row, c.start));
      const end = utcStamp(cell(row, c.end));
      if (!id || start === null || end === null || end < start) {
        ctx.warn(line, `exercise row needs exercise_id, exercise_start and exercise_end (UTC stamps); row skipped`);
        continue;
      }
      const off = parseOffsetText(cell(row, c.off) ?? '');
      if (off === null) {
        ctx.warn(line, `utc_offset ${quote(cell(row, c.off))} is not like -04:00; row skipped`);
        continue;
      }
      const details = detailsOf(row, hdr, skip);
      const distMm = num(cell(row, c.dist));
      const hr = num(cell(row, c.hr));
      details.activityName = cell(row, c.name) ?? null;
      details.calories = Number.isFinite(num(cell(row, c.cal))) ? num(cell(row, c.cal)) : null;
      details.steps = Number.isFinite(num(cell(row, c.steps))) ? num(cell(row, c.steps)) : null;
      details.averageHeartRate = Number.isFinite(hr) && hr > 0 ? hr : null;
      details.distance = Number.isFinite(distMm) ? distMm / 1e6 : null;
      details.distanceUnit = 'Kilometer';
      details.duration = end - start;
      ctx.out.sessions.push({
        account: ctx.account,
        kind: 'exercise',
        source: sourceName(ctx.file, line, cell(row, c.src)?.trim() || CSV_SESSION_DEFAULT_SOURCE),
        layer: 'takeout-csv',
        start,
        startOffset: off,
        end,
        endOffset: off,
        externalId: id,
        mainSleep: null,
        segments: [],
        details,
      });
    }
  }
  if (!c) throw new FileFormatError(ctx.file, 'empty file (no header line)');
}
