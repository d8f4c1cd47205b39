/**
 * Sleep stages as a history series for a TSDB, so Grafana can draw a night as a state timeline:
 * `fitbit_history_sleep_stage{account, source}` holds one sample per minute of every stage
 * segment (at whole minutes inside [segment start, segment end)), its value the stage code
 * below. One series per data source; no sample outside sleep, so a query of
 * `last_over_time(fitbit_history_sleep_stage[1m])` is empty between nights.
 *
 * The remote-write sink sends it for every changed sleep (the chosen sessions of that night: one
 * version per physical sleep, src/reconcile/sleep.ts, so the Takeout versions and the API copy of
 * a night never overlay each other);
 * `sleepStageChunks` gives it for a range (tests, exports).
 */
import type { SleepStage, StoredSession, Store } from '../../store/types.js';
import { MINUTE_MS } from '../../time/index.js';
import { encodeLabels, type SeriesChunk } from './protobuf.js';
import { seriesLabels } from './series.js';

export const SLEEP_STAGE_HISTORY = 'fitbit_history_sleep_stage';

/** The value of each stage (a hypnogram order: deeper sleep is lower). */
export const SLEEP_STAGE_CODES: Readonly<Record<SleepStage, number>> = {
  deep: 1,
  light: 2,
  rem: 3,
  wake: 4,
  asleep: 5,
  restless: 6,
  unknown: 0,
};

/** Per data source: the minute samples of the stages of `sessions` (sleep only), ascending, one per instant. */
export function sleepStageSamples(sessions: readonly StoredSession[]): Map<string, { t: number[]; v: number[] }> {
  const bySource = new Map<string, Map<number, number>>();
  for (const s of sessions) {
    if (s.kind !== 'sleep') continue;
    let m = bySource.get(s.source);
    if (!m) {
      m = new Map();
      bySource.set(s.source, m);
    }
    for (const seg of s.segments) {
      const code = SLEEP_STAGE_CODES[seg.stage] ?? 0;
      for (let t = Math.ceil(seg.start / MINUTE_MS) * MINUTE_MS; t < seg.end; t += MINUTE_MS) m.set(t, code);
    }
  }
  const out = new Map<string, { t: number[]; v: number[] }>();
  for (const [source, m] of bySource) {
    const t = [...m.keys()].sort((a, b) => a - b);
    if (t.length > 0) out.set(source, { t, v: t.map((x) => m.get(x) ?? 0) });
  }
  return out;
}

/** Remote-write chunks of `fitbit_history_sleep_stage` for the account's sleeps that end in [from, to). */
export function sleepStageChunks(store: Store, account: string, from = -Infinity, to = Infinity): SeriesChunk[] {
  const chunks: SeriesChunk[] = [];
  for (const [source, { t, v }] of sleepStageSamples(store.sessions(account, 'sleep', from, to))) {
    chunks.push({ labels: encodeLabels(seriesLabels(SLEEP_STAGE_HISTORY, account, source)), t, v });
  }
  return chunks;
}
