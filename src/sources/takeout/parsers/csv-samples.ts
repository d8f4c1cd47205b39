/**
 * The engine behind every CSV file that holds samples: a time column, zero or one data-source
 * column, and one or more value columns (one metric each). Column names are matched after
 * normalisation (lower case, `_` → space), never by a fixed header line; missing required
 * columns fail the whole file, a bad row is skipped with a warning naming the line.
 *
 * Time modes:
 * - `instant`: `…Z` = UTC, `+hh:mm` = explicit offset, naive = LOCAL (user's zone; a file whose
 *   naive stamps meet no zone fails). `forceLocal`: the `Z` is a lie, read as local.
 * - `date`: only the date part counts; the sample is stamped at LOCAL midnight of that date.
 */
import { clip } from '../../../util/clip.js';
import type { MetricId } from '../../../metrics/registry.js';
import { LEGACY_JSON_SOURCE } from '../../../store/types.js';
import { MINUTE_MS } from '../../../time/index.js';
import { readCsv } from '../csv.js';
import {
  FileFormatError,
  NO_ZONE_MESSAGE,
  fastUtcZ,
  OffsetCache,
  type LocalClock,
  newParts,
  newSequence,
  num,
  parseIso,
  utcOf,
  type ParseContext,
  type SeriesBuffer,
} from './common.js';

export type CsvStream = AsyncIterable<Buffer | string>;

/** Header cell → comparable name: trimmed, lower case, underscores and runs of spaces → one space. */
export function normName(h: string): string {
  let s = h.trim().toLowerCase();
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  return s.replace(/[_\s]+/g, ' ');
}

export interface ValueCol {
  metric: MetricId;
  names: string[];
  /** canonical = raw * mul / div */
  mul?: number;
  div?: number;
  /** A missing column is fine (the metric is simply absent from this file generation). */
  optional?: boolean;
  /** Altitude gain: `gain` columns are millimetres; an `altitude` column is metres unless values say mm. */
  autoMm?: boolean;
}

export interface CsvSampleSpec {
  time: string[];
  mode: 'instant' | 'date' | 'date-of-end';
  /** Data-source column names; absent column → `defaultSource`. null: a sourceless (legacy) layer. */
  source: string[] | null;
  defaultSource?: string;
  cols: ValueCol[];
  /** Stamps with `Z` that are really local wall-clock time. */
  forceLocal?: boolean;
  /** Only rows whose column equals one of these values (case-insensitive). */
  only?: { names: string[]; values: string[] };
}

/** Source name for Google-layer rows of a file generation without a `data source` column. */
export const GOOGLE_DEFAULT_SOURCE = 'Google export';

const NO_ZONE = NO_ZONE_MESSAGE;

export function csvSamples(spec: CsvSampleSpec) {
  return async function parse(stream: CsvStream, ctx: ParseContext): Promise<void> {
    const zone = ctx.zone;
    if ((spec.mode !== 'instant' || spec.forceLocal) && !zone) throw new FileFormatError(ctx.file, NO_ZONE);
    const offs = new OffsetCache(zone);
    const p = newParts();
    let seq: LocalClock | null = null;
    let iT = -1,
      iS = -1,
      iOnly = -1;
    const onlyVals = spec.only?.values.map((v) => v.toLowerCase()) ?? [];
    let cols: { c: ValueCol; i: number; mul: number; div: number; last: SeriesBuffer | null; lastSrc: string }[] = [];
    let headerDone = false;
    const autoBufs = new Set<SeriesBuffer>();
    let autoMax = -Infinity;
    let autoIsMm = false;
    const legacy = spec.source === null;
    const defSrc = legacy ? LEGACY_JSON_SOURCE : (spec.defaultSource ?? GOOGLE_DEFAULT_SOURCE);
    const mode = spec.mode;
    for await (const batch of readCsv(stream, ctx.file)) {
      if (!headerDone) {
        headerDone = true;
        const h = batch.header.map(normName);
        const find = (names: string[]): number => {
          for (const n of names) {
            const i = h.indexOf(n);
            if (i >= 0) return i;
          }
          return -1;
        };
        iT = find(spec.time);
        const missing: string[] = [];
        if (iT < 0) missing.push(spec.time[0] as string);
        if (spec.source) iS = find(spec.source);
        if (spec.only) iOnly = find(spec.only.names);
        for (const c of spec.cols) {
          const i = find(c.names);
          if (i < 0) {
            if (!c.optional) missing.push(c.names[0] as string);
            continue;
          }
          const mul = c.mul ?? 1;
          let div = c.div ?? 1;
          if (c.autoMm) {
            const name = h[i] as string;
            if (name.includes('gain') || name.includes('millimet') || name.endsWith(' mm')) {
              div = 1000;
            } else autoIsMm = true; // decided after the file is read
          }
          cols.push({ c, i, mul, div, last: null, lastSrc: '\u0000' });
        }
        if (missing.length || cols.length === 0) {
          throw new FileFormatError(
            ctx.file,
            `unexpected CSV header "${clip(batch.header.join(','))}" (line 1): expected column(s) ${missing.map((m) => `"${m}"`).join(', ') || 'with values'}`,
          );
        }
      }
      const rows = batch.rows,
        lines = batch.lines;
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r] as string[];
        const line = lines[r] as number;
        if (iOnly >= 0 && !onlyVals.includes((row[iOnly] ?? '').trim().toLowerCase())) continue;
        const ts = row[iT];
        let t: number, off: number;
        const fz = mode === 'instant' && !spec.forceLocal && ts !== undefined ? fastUtcZ(ts) : NaN;
        if (fz === fz) {
          t = fz;
          off = offs.at(t);
        } else if (ts === undefined || !parseIso(ts, p)) {
          ctx.warn(line, `timestamp ${JSON.stringify(ts ?? '')} is not an ISO date/time; row skipped`);
          continue;
        } else if (mode !== 'instant') {
          if (!zone) throw new FileFormatError(ctx.file, NO_ZONE);
          const m = zone.midnight(p.y, p.mo, p.d);
          t = m.t;
          off = m.offset;
        } else if (p.zone === 'Z' && !spec.forceLocal) {
          t = utcOf(p);
          off = offs.at(t);
        } else if (p.zone === 'offset' && !spec.forceLocal) {
          t = utcOf(p) - p.off * MINUTE_MS;
          off = p.off;
        } else {
          if (!zone) throw new FileFormatError(ctx.file, NO_ZONE);
          seq ??= newSequence(zone);
          const x = seq.next(p.y, p.mo, p.d, p.h, p.mi, p.s, p.ms);
          t = x.t;
          off = x.offset;
        }
        let src = defSrc;
        if (iS >= 0) {
          const s = row[iS];
          if (s !== undefined && s.length) src = s;
        }
        for (let k = 0; k < cols.length; k++) {
          const cc = cols[k] as (typeof cols)[number];
          const cell = row[cc.i];
          const raw = num(cell);
          if (raw !== raw) {
            if (cell === undefined || cell.trim() === '') {
              if (cc.c.optional || cols.length > 1) continue; // an empty optional field
            }
            ctx.warn(line, `${cc.c.names[0]} ${JSON.stringify(cell ?? '')} is not a number; ${cols.length > 1 ? 'value' : 'row'} skipped`);
            continue;
          }
          let buf = cc.last;
          if (buf === null || cc.lastSrc !== src) {
            buf = ctx.out.buffer(cc.c.metric, src);
            cc.last = buf;
            cc.lastSrc = src;
          }
          if (cc.c.autoMm && autoIsMm) {
            autoBufs.add(buf);
            if (raw > autoMax) autoMax = raw;
          }
          const v = cc.mul === 1 && cc.div === 1 ? raw : Math.round((raw * cc.mul * 1e6) / cc.div) / 1e6;
          buf.push(t, off, v);
        }
      }
    }
    if (!headerDone) throw new FileFormatError(ctx.file, 'empty file (no header line)');
    // an `altitude` column holding millimetres (any minute above 500 "metres" of gain is mm)
    if (autoIsMm && autoMax > 500) {
      for (const b of autoBufs) for (const s of b.samples) s.v = Math.round(s.v * 1000) / 1e6;
      ctx.out.notes.push('altitude column read as millimetres (values above 500)');
    }
    cols = [];
  };
}
