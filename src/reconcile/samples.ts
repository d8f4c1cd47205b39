/**
 * Same measurement in two layers: the write-side reconciliation rules of samples (pure).
 *
 * The Takeout legacy layer (`Global Export Data` JSON and the old sourceless CSV folders: HRV
 * details, daily HRV / respiratory rate summaries, SpO2, temperature, AZM) has no data source; its
 * samples are stored under LEGACY_JSON_SOURCE. The Google layer (`_GoogleData` CSVs) and the
 * Google Health API name the device. A legacy sample that is the same physical measurement as a
 * sample of any non-legacy series of the same metric is stored once, as the non-legacy sample:
 *
 * - `instant` (intraday metrics: heart rate, steps, calories, distance, HRV rmssd, SpO2, …): same
 *   instant = same sample, WHATEVER the values. When they differ by more than the metric's
 *   `matchTolerance` it is a "layer disagreement" (counted); the non-legacy value is kept.
 * - `day` (daily metrics: resting heart rate, daily HRV, breathing rate, daily SpO2, skin
 *   temperature): one value per (metric, local day): a legacy value on a local day that a
 *   non-legacy series has a value for is that value (the Google layer wins); values further
 *   apart than the tolerance are counted as daily disagreements.
 * - `weigh-in` (weight): one weigh-in per (local day, value within the JSON's rounding step):
 *   `weight-*.json` holds 0.1 lb steps (or 0.1 kg) and often a placeholder time (`23:59:59`),
 *   `weight.csv` grams at the real instant, which wins. The same instant is the same weigh-in too.
 *
 * Everything here is pure: the callers (src/reconcile/samples-store.ts) read the samples of the
 * right day blocks and remove or skip what these functions mark. The rules compare a legacy
 * sample only with what is stored or written, never with the order files come in, so json-first
 * and csv-first give the same store and the same counts.
 */
import { metric as metricDef, type MetricId } from '../metrics/registry.js';
import { LEGACY_JSON_SOURCE, type Sample } from '../store/types.js';
import { localDayAtOffset } from '../time/index.js';

/** How a legacy sample is matched to the non-legacy samples of its metric. */
export type SampleRule = 'instant' | 'day' | 'weigh-in';

/** The rule of a metric; null for session metrics (sleep, exercise: src/reconcile/sleep.ts). */
export function ruleOf(metric: MetricId): SampleRule | null {
  if (metric === 'weight') return 'weigh-in';
  const kind = metricDef(metric).kind;
  return kind === 'intraday' ? 'instant' : kind === 'daily' ? 'day' : null;
}

/** How many UTC days either side of a legacy sample's UTC day its matches can lie in (a local day spans two UTC days). */
export function ruleSpanDays(rule: SampleRule): number {
  return rule === 'instant' ? 0 : 1;
}

export function isLegacySource(source: string): boolean {
  return source === LEGACY_JSON_SOURCE;
}

/** Legacy samples stored once because a non-legacy sample is the same measurement, by rule. */
export interface MergeCounts {
  /** `instant` rule: legacy samples at an instant a non-legacy series has (intraday metrics). */
  intraday: number;
  /** …of which the values differed by more than the metric's tolerance ("layer disagreements"). */
  layerDisagreements: number;
  /** `day` rule: legacy daily values on a local day the Google layer / API has. */
  daily: number;
  /** …of which the values differed by more than the metric's tolerance. */
  dailyDisagreements: number;
  /** `weigh-in` rule: legacy weigh-ins that are a weight.csv / API weigh-in. */
  weighIns: number;
}

export function emptyCounts(): MergeCounts {
  return { intraday: 0, layerDisagreements: 0, daily: 0, dailyDisagreements: 0, weighIns: 0 };
}

/** Adds b into a (and returns a). */
export function addCounts(a: MergeCounts, b: Readonly<MergeCounts>): MergeCounts {
  a.intraday += b.intraday;
  a.layerDisagreements += b.layerDisagreements;
  a.daily += b.daily;
  a.dailyDisagreements += b.dailyDisagreements;
  a.weighIns += b.weighIns;
  return a;
}

/** Legacy samples stored once, all rules together (the disagreements are part of them). */
export function totalMerged(c: Readonly<MergeCounts>): number {
  return c.intraday + c.daily + c.weighIns;
}

/** Parsed back from JSON (the state table): missing or damaged fields count 0. */
export function countsFrom(x: unknown): MergeCounts {
  const out = emptyCounts();
  if (x === null || typeof x !== 'object') return out;
  const o = x as Record<string, unknown>;
  for (const k of Object.keys(out) as (keyof MergeCounts)[]) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k] = v;
  }
  return out;
}

/** Samples as parallel arrays sorted by instant (SampleColumns satisfies it). */
export interface Points {
  readonly n: number;
  readonly t: ArrayLike<number>;
  readonly offset: ArrayLike<number>;
  readonly v: ArrayLike<number>;
}

/** Samples (sorted by instant) as Points. */
export function pointsOf(samples: readonly Sample[]): Points {
  const n = samples.length;
  const t = new Float64Array(n);
  const offset = new Int32Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = samples[i] as Sample;
    t[i] = s.t;
    offset[i] = s.offset;
    v[i] = s.v;
  }
  return { n, t, offset, v };
}

const LB_KG = 0.45359237;
/** A gram of slack for weight.csv's rounding. */
const GRAM = 0.001;

/**
 * The rounding step (kg) of a legacy weigh-in: `weight-*.json` holds pounds with 0.1 lb steps
 * (45.4 g; a real export had one weigh-in 45 g from weight.csv), or kilograms with 0.1 kg steps;
 * a value that is a whole number of 0.1 lb is read as pounds. One step plus a gram.
 */
export function weighInStepKg(kg: number): number {
  const tenthsLb = kg / LB_KG / 0.1;
  const lb = Math.abs(tenthsLb - Math.round(tenthsLb)) < 1e-3;
  return (lb ? 0.1 * LB_KG : 0.1) + GRAM;
}

/** Which legacy samples are the same measurement as a non-legacy sample (`drop[i]` = 1), and the counts. */
export interface LegacyMatch {
  drop: Uint8Array;
  dropped: number;
  counts: MergeCounts;
}

/**
 * Matches legacy samples against the non-legacy samples of the same metric.
 * `legacy`: sorted by instant. `others`: each sorted by instant; they must cover the instants
 * (rule `instant`) or the whole local days (rules `day`, `weigh-in`: the UTC days either side,
 * see ruleSpanDays) of the legacy samples.
 */
export function matchLegacy(metric: MetricId, legacy: Points, others: readonly Points[]): LegacyMatch {
  const rule = ruleOf(metric);
  const n = legacy.n;
  const drop = new Uint8Array(n);
  const counts = emptyCounts();
  if (rule === null || n === 0 || others.length === 0) return { drop, dropped: 0, counts };
  const tol = metricDef(metric).matchTolerance + 1e-9;
  /** 1: some non-legacy value is within the tolerance (step for weigh-ins). */
  const agree = new Uint8Array(n);
  const lt = legacy.t,
    lv = legacy.v;
  if (rule === 'instant') {
    for (const o of others) {
      const ot = o.t,
        ov = o.v,
        on = o.n;
      let a = 0,
        k = 0;
      while (a < n && k < on) {
        const ta = lt[a] as number,
          tb = ot[k] as number;
        if (ta < tb) a++;
        else if (ta > tb) k++;
        else {
          drop[a] = 1;
          if (Math.abs((lv[a] as number) - (ov[k] as number)) <= tol) agree[a] = 1;
          a++;
        }
      }
    }
  } else {
    // by local day: the samples of the others per local day
    const byDay = new Map<number, { t: number; v: number }[]>();
    for (const o of others) {
      for (let k = 0; k < o.n; k++) {
        const t = o.t[k] as number;
        const d = localDayAtOffset(t, o.offset[k] as number);
        let l = byDay.get(d);
        if (!l) {
          l = [];
          byDay.set(d, l);
        }
        l.push({ t, v: o.v[k] as number });
      }
    }
    for (let i = 0; i < n; i++) {
      const same = byDay.get(localDayAtOffset(lt[i] as number, legacy.offset[i] as number));
      if (!same) continue;
      const v = lv[i] as number;
      if (rule === 'day') {
        drop[i] = 1;
        if (same.some((x) => Math.abs(x.v - v) <= tol)) agree[i] = 1;
      } else {
        const step = weighInStepKg(v);
        for (const x of same) {
          const near = Math.abs(x.v - v) <= step;
          if (near || x.t === lt[i]) {
            drop[i] = 1;
            if (near) agree[i] = 1;
          }
        }
      }
    }
  }
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    if (!drop[i]) continue;
    dropped++;
    if (rule === 'instant') {
      counts.intraday++;
      if (!agree[i]) counts.layerDisagreements++;
    } else if (rule === 'day') {
      counts.daily++;
      if (!agree[i]) counts.dailyDisagreements++;
    } else {
      counts.weighIns++;
      if (!agree[i]) counts.layerDisagreements++;
    }
  }
  return { drop, dropped, counts };
}
