/**
 * Sleep reconciliation: one session per physical sleep, and the per-day sleep figures.
 *
 * THE SLEEP RULE
 * - A physical sleep is a group of overlapping sleep sessions of one account, whatever their layer
 *   (Takeout JSON logs, Takeout UserSleeps rows of each `algorithm_version`, the Google Health API)
 *   and source. Sessions overlap when each starts before the other ends (or they start together).
 * - A version is (layer, algorithm version): `takeout-json:` (Fitbit's sleep logs, which equal
 *   `sleep_session_v1`), `takeout-csv:sleep_session_v2`, `api:` … Per group ONE version is chosen:
 *   - `newest` (default): the API's session, else the highest algorithm version of UserSleeps,
 *     else the JSON log (the JSON log ranks just below the CSV's `sleep_session_v1`);
 *   - `legacy`: the JSON log, else `sleep_session_v1`, else the lowest other CSV version, else the API.
 *   Every session of the chosen version in the group is kept (a night logged in two parts stays two);
 *   the others stay stored as alternatives that no figure counts (`store.sessions(…, { resolve: false })`).
 * - Main sleep vs nap: the session's own `mainSleep`, else the `mainSleep` of another version of the
 *   same physical sleep (the one overlapping it most), else the longest chosen sleep ending that
 *   local day is the main sleep and the others are naps (when no other sleep of the day is known
 *   to be the main one). Chosen sleeps always carry `mainSleep` true or false.
 * - A chosen session's stage segments never overlap each other and stay within the session (older
 *   stores merged two versions' stages into one session: such segments are cut so that every
 *   instant counts once, until a re-import of the export repairs the row).
 * - The preference lives in the store (state key STATE_KEYS.sleepVersion, set by every command that
 *   opens the store with the configuration: `takeout.sleep_version`); the choice is computed when
 *   sessions are read, so it applies to sessions stored by any earlier version at once. Changing the
 *   preference bumps the change sequence of every sleep session, so sinks re-send those nights.
 */
import type { SessionSegment, SleepStage, Store, StoredSession } from '../store/types.js';
import { DAY_MS, localDayAtOffset } from '../time/index.js';

/** Which version of a physical sleep counts: `takeout.sleep_version`. */
export type SleepVersionPreference = 'newest' | 'legacy';
export const SLEEP_VERSION_PREFERENCES: readonly SleepVersionPreference[] = ['newest', 'legacy'];
export const DEFAULT_SLEEP_VERSION: SleepVersionPreference = 'newest';

export function isSleepVersionPreference(x: unknown): x is SleepVersionPreference {
  return x === 'newest' || x === 'legacy';
}

/** Whether a sleep is the night's main sleep or a nap. */
export type SleepKind = 'main' | 'nap';

/** The sleep figures of one local day (the day a sleep ENDS on: the morning you woke up) and one kind. */
export interface SleepDayFigure {
  /** Local day number (days since 1970-01-01 of the local calendar). */
  day: number;
  /** UTC offset (minutes east) at the end of the day's first counted sleep: local midnight = day * DAY_MS - offset * MINUTE_MS. */
  offset: number;
  kind: SleepKind;
  /** Time asleep: every stage but wake and restless, as Fitbit's minutesAsleep (the whole session when it has no stages). */
  asleepSeconds: number;
  /** Seconds per stage (wake included) of the counted sessions. */
  stageSeconds: Partial<Record<SleepStage, number>>;
  /** How many sessions were counted. */
  sessions: number;
}

/** The fields of a session the choice needs. */
type SleepLike = Pick<StoredSession, 'id' | 'layer' | 'start' | 'end' | 'endOffset' | 'mainSleep' | 'segments'> & { version?: string | null };

/** The version a session belongs to: `<layer>:<algorithm version>` (e.g. `takeout-csv:sleep_session_v2`, `takeout-json:`). */
export function sleepVersionKey(s: { layer: string; version?: string | null }): string {
  return `${s.layer}:${s.version ?? ''}`;
}

/** A readable name of a session's version (dump column): `sleep_session_v2`, `json log`, `api`. */
export function sleepVersionLabel(s: { layer: string; version?: string | null }): string {
  if (s.layer === 'takeout-json') return 'json log';
  if (s.layer === 'api') return s.version ? `api ${s.version}` : 'api';
  return s.version || 'csv';
}

/** The number of an algorithm version (`sleep_session_v2` → 2); 0 when it has none. */
export function algorithmNumber(version: string | null | undefined): number {
  const m = /v(\d+)\s*$/i.exec(version ?? '');
  return m ? Number(m[1]) : 0;
}

/** How much a version is preferred (higher wins). */
function versionRank(s: { layer: string; version?: string | null }, pref: SleepVersionPreference): number {
  // a UserSleeps row without algorithm_version (older exports) counts as sleep_session_v1
  const n = s.version ? algorithmNumber(s.version) : 1;
  if (pref === 'newest') {
    if (s.layer === 'api') return 1e9;
    if (s.layer === 'takeout-json') return 1000.5; // equals sleep_session_v1, below the CSV row of it
    return 1000 + n;
  }
  if (s.layer === 'takeout-json') return 1e9;
  if (s.layer === 'api') return 0;
  return n === 1 ? 1e6 : 1e5 - n;
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start === b.start || (a.start < b.end && b.start < a.end);

function overlapMs(a: { start: number; end: number }, b: { start: number; end: number }): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
}

/** Whether stage segments overlap each other (an older store's merge of two versions). */
export function segmentsOverlap(segs: readonly SessionSegment[]): boolean {
  const s = [...segs].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < s.length; i++) if (s[i]!.start < s[i - 1]!.end) return true;
  return false;
}

/**
 * Segments sorted, each instant in one segment only (a later-starting overlapping segment is cut),
 * within [from, to) (the session).
 */
export function flattenSegments(segs: readonly SessionSegment[], from = -Infinity, to = Infinity): SessionSegment[] {
  const s = [...segs].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: SessionSegment[] = [];
  let until = from;
  for (const g of s) {
    const start = Math.max(g.start, until);
    const end = Math.min(g.end, to);
    if (end <= start) continue;
    out.push({ start, end, stage: g.stage });
    until = end;
  }
  return out;
}

/** Physical sleeps: groups of overlapping sessions (input in any order; groups ordered by start). */
export function groupSleeps<T extends { id: number; start: number; end: number }>(sessions: readonly T[]): T[][] {
  const sorted = [...sessions].sort((a, b) => a.start - b.start || a.id - b.id);
  const groups: T[][] = [];
  let cur: T[] = [];
  let end = -Infinity;
  for (const s of sorted) {
    if (cur.length > 0 && !(s.start < end || cur.some((c) => overlaps(c, s)))) {
      groups.push(cur);
      cur = [];
      end = -Infinity;
    }
    cur.push(s);
    end = Math.max(end, s.end);
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

export interface SleepChoice<T> {
  /** The chosen sessions (copies: `mainSleep` true/false, segments non-overlapping), ordered by start. */
  chosen: T[];
  /** The other versions, as stored. */
  alternatives: T[];
}

/**
 * Chooses one version per physical sleep (see the module comment). Pure: the input is every stored
 * sleep session of one account around the period of interest (include ±2 days, so that groups and
 * the local days' main sleeps are complete).
 */
export function chooseSleeps<T extends SleepLike>(sessions: readonly T[], pref: SleepVersionPreference = DEFAULT_SLEEP_VERSION): SleepChoice<T> {
  const chosen: T[] = [];
  const alternatives: T[] = [];
  for (const g of groupSleeps(sessions)) {
    let best: T | null = null;
    let bestRank = -Infinity;
    for (const s of g) {
      const r = versionRank(s, pref);
      if (r > bestRank || (r === bestRank && best !== null && sleepVersionKey(s) < sleepVersionKey(best))) {
        best = s;
        bestRank = r;
      }
    }
    const key = sleepVersionKey(best!);
    const known = g.filter((s) => s.mainSleep === true || s.mainSleep === false);
    for (const s of g) {
      if (sleepVersionKey(s) !== key) {
        alternatives.push(s);
        continue;
      }
      let main = s.mainSleep ?? null;
      if (main === null) {
        let most = -1;
        for (const k of known) {
          const o = overlapMs(k, s);
          if (o > most) {
            most = o;
            main = k.mainSleep as boolean;
          }
        }
      }
      const outside = s.segments.some((g) => g.start < s.start || g.end > s.end);
      const segs = outside || segmentsOverlap(s.segments) ? flattenSegments(s.segments, s.start, s.end) : s.segments;
      chosen.push({ ...s, mainSleep: main, segments: segs });
    }
  }
  // still unknown: the longest chosen sleep ending that local day is the main one (unless one is known)
  const byDay = new Map<number, T[]>();
  for (const s of chosen) {
    const d = localDayAtOffset(s.end, s.endOffset);
    const l = byDay.get(d);
    if (l) l.push(s);
    else byDay.set(d, [s]);
  }
  for (const list of byDay.values()) {
    const unknown = list.filter((s) => s.mainSleep !== true && s.mainSleep !== false);
    if (unknown.length === 0) continue;
    const hasMain = list.some((s) => s.mainSleep === true);
    let longest: T | null = null;
    for (const s of unknown) if (longest === null || s.end - s.start > longest.end - longest.start) longest = s;
    for (const s of unknown) (s as { mainSleep: boolean | null }).mainSleep = !hasMain && s === longest;
  }
  chosen.sort((a, b) => a.start - b.start || a.id - b.id);
  return { chosen, alternatives };
}

/**
 * Time asleep of a session in seconds: every stage but wake and restless (Fitbit's minutesAsleep
 * leaves out the restless minutes of classic logs); the whole session when it has no stages.
 */
export function asleepSeconds(s: Pick<StoredSession, 'start' | 'end' | 'segments'>): number {
  if (s.segments.length === 0) return (s.end - s.start) / 1000;
  let ms = 0;
  for (const seg of s.segments) if (seg.stage !== 'wake' && seg.stage !== 'restless') ms += seg.end - seg.start;
  return ms / 1000;
}

/** The kind of a chosen session (`store.sessions` gives chosen sleeps `mainSleep` true/false). */
export function sleepKindOf(s: Pick<StoredSession, 'mainSleep'>): SleepKind {
  return s.mainSleep === false ? 'nap' : 'main';
}

/**
 * The sleep figures of an account for the given local days (days without sleep give nothing),
 * ordered by day, then main before nap. Only the chosen version of each physical sleep counts.
 */
export function sleepDayFigures(store: Store, account: string, days: Iterable<number>): SleepDayFigure[] {
  const wanted = [...new Set(days)].sort((a, b) => a - b);
  if (wanted.length === 0) return [];
  const byDay = new Map<number, StoredSession[]>();
  const want = new Set(wanted);
  // one read for the whole span (sparse requests: one read per day)
  const spans: [number, number][] = [];
  for (const d of wanted) {
    const last = spans[spans.length - 1];
    if (last && d - last[1] <= 7) last[1] = d;
    else spans.push([d, d]);
  }
  for (const [a, b] of spans) {
    for (const s of store.sessions(account, 'sleep', (a - 2) * DAY_MS, (b + 3) * DAY_MS)) {
      const d = localDayAtOffset(s.end, s.endOffset);
      if (!want.has(d)) continue;
      const l = byDay.get(d);
      if (!l) byDay.set(d, [s]);
      else if (!l.some((x) => x.id === s.id)) l.push(s);
    }
  }
  const out: SleepDayFigure[] = [];
  for (const day of wanted) {
    const sessions = byDay.get(day);
    if (!sessions) continue;
    sessions.sort((a, b) => a.start - b.start || a.id - b.id);
    for (const kind of ['main', 'nap'] as const) {
      const mine = sessions.filter((s) => sleepKindOf(s) === kind);
      if (mine.length === 0) continue;
      const stageSeconds: Partial<Record<SleepStage, number>> = {};
      for (const s of mine) for (const seg of s.segments) stageSeconds[seg.stage] = (stageSeconds[seg.stage] ?? 0) + (seg.end - seg.start) / 1000;
      out.push({ day, offset: mine[0]!.endOffset, kind, asleepSeconds: mine.reduce((a, s) => a + asleepSeconds(s), 0), stageSeconds, sessions: mine.length });
    }
  }
  return out;
}
