/**
 * Sleep reconciliation: one session per physical sleep, and the per-day sleep figures.
 *
 * STUB (interface fixed for issue 9): the body below is the pre-issue-9 behaviour (the store's
 * layer-resolved sessions, main sleep = `mainSleep` or else the longest sleep of the day). The
 * sleep work replaces the body; callers (dump summary, TSDB per-day series, MQTT) keep the
 * signature.
 */
import type { SleepStage, Store, StoredSession } from '../store/types.js';
import { DAY_MS, localDayAtOffset } from '../time/index.js';

/** Whether a sleep is the night's main sleep or a nap. */
export type SleepKind = 'main' | 'nap';

/** The sleep figures of one local day (the day a sleep ENDS on: the morning you woke up) and one kind. */
export interface SleepDayFigure {
  /** Local day number (days since 1970-01-01 of the local calendar). */
  day: number;
  /** UTC offset (minutes east) at the end of the day's first counted sleep: local midnight = day * DAY_MS - offset * MINUTE_MS. */
  offset: number;
  kind: SleepKind;
  /** Time asleep: every stage but wake (the whole session when it has no stages). */
  asleepSeconds: number;
  /** Seconds per stage (wake included) of the counted sessions. */
  stageSeconds: Partial<Record<SleepStage, number>>;
  /** How many sessions were counted. */
  sessions: number;
}

function asleepSeconds(s: StoredSession): number {
  if (s.segments.length === 0) return (s.end - s.start) / 1000;
  let ms = 0;
  for (const seg of s.segments) if (seg.stage !== 'wake') ms += seg.end - seg.start;
  return ms / 1000;
}

/**
 * The sleep figures of an account for the given local days (days without sleep give nothing),
 * ordered by day, then main before nap. Only the chosen version of each physical sleep counts.
 */
export function sleepDayFigures(store: Store, account: string, days: Iterable<number>): SleepDayFigure[] {
  const out: SleepDayFigure[] = [];
  for (const day of [...new Set(days)].sort((a, b) => a - b)) {
    const sessions = store.sessions(account, 'sleep', (day - 2) * DAY_MS, (day + 3) * DAY_MS).filter((s) => localDayAtOffset(s.end, s.endOffset) === day);
    if (sessions.length === 0) continue;
    let longest: StoredSession | null = null;
    for (const s of sessions) if (longest === null || s.end - s.start > longest.end - longest.start) longest = s;
    const kindOf = (s: StoredSession): SleepKind => (s.mainSleep === true || (s.mainSleep == null && s === longest) ? 'main' : 'nap');
    for (const kind of ['main', 'nap'] as const) {
      const mine = sessions.filter((s) => kindOf(s) === kind);
      if (mine.length === 0) continue;
      const stageSeconds: Partial<Record<SleepStage, number>> = {};
      for (const s of mine) for (const seg of s.segments) stageSeconds[seg.stage] = (stageSeconds[seg.stage] ?? 0) + (seg.end - seg.start) / 1000;
      out.push({ day, offset: mine[0]!.endOffset, kind, asleepSeconds: mine.reduce((a, s) => a + asleepSeconds(s), 0), stageSeconds, sessions: mine.length });
    }
  }
  return out;
}
