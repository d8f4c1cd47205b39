/**
 * Legacy JSON layer ("Global Export Data", old `Physical Activity/`), per-minute and per-second
 * files: heart_rate (UTC), steps (UTC), distance (UTC, centimetres), altitude (UTC, feet),
 * calories (LOCAL). Values are strings ("0.8"), heart rate is `{bpm, confidence}`.
 * Every sample goes to the LEGACY_JSON_SOURCE buffer; import.ts drops those the CSV layer has.
 */
import { invalidValue, metric as metricDef, type MetricId } from '../../../metrics/registry.js';
import { LEGACY_JSON_SOURCE } from '../../../store/types.js';
import { Readable } from 'node:stream';
import { readJsonArray } from '../json.js';
import { scanLegacyIntraday } from './fast-json.js';
import { FileFormatError, NO_ZONE_MESSAGE, OffsetCache, jnum, newParts, newSequence, parseLegacy, quote, utcOf, type ParseContext } from './common.js';

export type JsonStream = NodeJS.ReadableStream & AsyncIterable<Buffer>;

/** Files up to this size are read whole and scanned by the fast path. */
const FAST_MAX_BYTES = 64 * 1024 * 1024;

export interface LegacyIntradaySpec {
  metric: MetricId;
  /** Stamps are local wall-clock time (calories) rather than UTC. */
  local: boolean;
  /** value (canonical) = raw * mul / div */
  mul: number;
  div: number;
  /** heart_rate: the value is an object with `bpm`. */
  bpm?: boolean;
}

export function legacyIntraday(spec: LegacyIntradaySpec) {
  return async function parse(stream: JsonStream, ctx: ParseContext, size: number): Promise<void> {
    const zone = ctx.zone;
    if (spec.local && !zone) throw new FileFormatError(ctx.file, NO_ZONE_MESSAGE);
    const seq = spec.local && zone ? newSequence(zone) : null;
    const offs = new OffsetCache(zone);
    const p = newParts();
    const buf = ctx.out.buffer(spec.metric, LEGACY_JSON_SOURCE);
    const { mul, div } = spec;
    const range = metricDef(spec.metric).valid ?? { min: -Number.MAX_VALUE, max: Number.MAX_VALUE };
    /** A value outside the metric's valid range (or not finite): warned, skipped. */
    const bad = (v: number, idx: number, dt: string): boolean => {
      if (v >= range.min && v <= range.max) return false;
      ctx.warn(undefined, `record ${idx} (${dt}): value ${v}: ${invalidValue(spec.metric, v) ?? 'not a valid value'}; skipped`);
      return true;
    };
    const stamp = (): string =>
      `${String(p.mo).padStart(2, '0')}/${String(p.d).padStart(2, '0')}/${String(p.y - 2000).padStart(2, '0')} ${String(p.h).padStart(2, '0')}:${String(p.mi).padStart(2, '0')}:${String(p.s).padStart(2, '0')}`;
    let input: AsyncIterable<Buffer | string> = stream;
    if (size <= FAST_MAX_BYTES) {
      // fast path: whole file as text, scanned without an object per record
      const parts: Buffer[] = [];
      let total = 0;
      for await (const c of stream) {
        const b = typeof c === 'string' ? Buffer.from(c) : c;
        parts.push(b);
        total += b.length;
      }
      const all = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, total);
      const start = buf.samples.length;
      const fseq = spec.local && zone ? newSequence(zone) : null;
      let n = 0;
      const ok = scanLegacyIntraday(all.toString('utf8'), !!spec.bpm, p, (x) => {
        n++;
        const v = mul === 1 ? (div === 1 ? x : x / div) : Math.round((x * mul * 1e6) / div) / 1e6;
        if (bad(v, n, stamp())) return;
        if (fseq) {
          const r = fseq.next(p.y, p.mo, p.d, p.h, p.mi, p.s, 0);
          buf.push(r.t, r.offset, v);
        } else {
          const t = utcOf(p);
          buf.push(t, offs.at(t), v);
        }
      });
      if (ok) return;
      buf.samples.length = start; // not the expected shape: the generic reader decides
      input = Readable.from([all]);
    }
    let idx = 0;
    for await (const batch of readJsonArray(input, ctx.file, size)) {
      for (let i = 0; i < batch.length; i++) {
        idx++;
        const rec = batch[i] as { dateTime?: unknown; value?: unknown } | null;
        if (rec === null || typeof rec !== 'object') {
          ctx.warn(undefined, `record ${idx}: not an object`);
          continue;
        }
        const dt = rec.dateTime;
        if (typeof dt !== 'string' || !parseLegacy(dt, p)) {
          ctx.warn(undefined, `record ${idx}: dateTime ${quote(dt)} is not "MM/DD/YY HH:MM:SS" (or no such calendar date)`);
          continue;
        }
        let raw = rec.value;
        if (spec.bpm) raw = raw !== null && typeof raw === 'object' ? (raw as { bpm?: unknown }).bpm : undefined;
        const x = jnum(raw);
        if (!Number.isFinite(x)) {
          ctx.warn(undefined, `record ${idx} (${dt}): value ${quote(rec.value)} is not a number`);
          continue;
        }
        const v = mul === 1 ? (div === 1 ? x : x / div) : Math.round((x * mul * 1e6) / div) / 1e6;
        if (bad(v, idx, dt)) continue;
        if (seq) {
          const r = seq.next(p.y, p.mo, p.d, p.h, p.mi, p.s, 0);
          buf.push(r.t, r.offset, v);
        } else {
          const t = utcOf(p);
          buf.push(t, offs.at(t), v);
        }
      }
    }
  };
}

export const FEET_TO_M = 0.3048;

export const parseHeartRateJson = legacyIntraday({ metric: 'heart_rate', local: false, mul: 1, div: 1, bpm: true });
export const parseStepsJson = legacyIntraday({ metric: 'steps', local: false, mul: 1, div: 1 });
export const parseDistanceJson = legacyIntraday({ metric: 'distance', local: false, mul: 1, div: 100 });
export const parseAltitudeJson = legacyIntraday({ metric: 'altitude', local: false, mul: FEET_TO_M, div: 1 });
export const parseCaloriesJson = legacyIntraday({ metric: 'calories', local: true, mul: 1, div: 1 });
