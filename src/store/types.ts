/**
 * The store's public contract. Sources write through it, sinks read through it.
 * Implementation: src/store/store.ts (better-sqlite3, WAL).
 */
import type { MetricId, SessionKind } from '../metrics/registry.js';
import { BridgeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { SleepVersionPreference } from '../reconcile/sleep.js';

/** One sample: a UTC instant, the UTC offset in force there, and a number. */
export interface Sample {
  /** UTC instant, milliseconds since the Unix epoch. */
  t: number;
  /** UTC offset in force at `t`, in minutes east of UTC (New York summer: -240). */
  offset: number;
  /** Value in the metric's canonical unit (see the registry). */
  v: number;
}

/** Samples as parallel typed arrays, sorted by instant. */
export interface SampleColumns {
  n: number;
  t: Float64Array;
  offset: Int32Array;
  v: Float64Array;
}

/** A series is (account, metric, data source). */
export interface SeriesKey {
  account: string;
  metric: MetricId;
  /** Data source: a device name ("Inspire 3"), "Fitbit App", or LEGACY_JSON_SOURCE. */
  source: string;
}

export interface SeriesInfo extends SeriesKey {
  id: number;
  /** Number of samples. */
  count: number;
  /** First and last instant (UTC ms), null when empty. */
  first: number | null;
  last: number | null;
}

/**
 * Source name of samples from the Takeout legacy layer ("Global Export Data" JSON and the old
 * sourceless CSV folders) that are no sample of the CSV layer or the API. Samples that are (the
 * rules of src/reconcile/samples.ts) are stored once, under the CSV row's data source.
 */
export const LEGACY_JSON_SOURCE = 'Fitbit export (legacy)';

export interface WriteOptions {
  /**
   * When the data was exported (UTC ms). On a conflict (same series and instant, different
   * value) the write with the newer export wins; equal counts as newer.
   */
  exportMs: number;
}

export interface WriteResult {
  /** Samples new to the store. */
  added: number;
  /** Samples at an existing instant whose value changed (conflicts won by this write). */
  changed: number;
  /** Conflicts lost by this write (the stored sample came from a newer export). */
  keptNewer: number;
  /** Samples already stored with the same value. */
  unchanged: number;
}

/** Normalised sleep stage names. Classic logs use asleep / restless / wake. */
export type SleepStage = 'wake' | 'light' | 'deep' | 'rem' | 'asleep' | 'restless' | 'unknown';

export interface SessionSegment {
  start: number;
  end: number;
  stage: SleepStage;
}

/** Which layer a session came from: the Takeout JSON layer, its CSV layer, or the live API. */
export type SessionLayer = 'takeout-json' | 'takeout-csv' | 'api';

export interface SessionRecord {
  account: string;
  kind: SessionKind;
  source: string;
  layer: SessionLayer;
  /** UTC ms and the offsets (minutes east) at start and end. */
  start: number;
  startOffset: number;
  end: number;
  endOffset: number;
  /** Provider id (sleep logId, exercise id) when known. */
  externalId?: string | null;
  /** Sleep: main sleep of the night (vs nap). */
  mainSleep?: boolean | null;
  /**
   * Algorithm version of the record within its layer (UserSleeps `algorithm_version`, e.g.
   * `sleep_session_v2`); '' / null when the layer has one version. Part of the session's key.
   */
  version?: string | null;
  /** Sleep stages (empty for exercise). */
  segments: SessionSegment[];
  /** Everything else (activity name, minutesAsleep, calories, …), JSON-serialisable. */
  details: Record<string, unknown>;
}

export interface StoredSession extends SessionRecord {
  id: number;
  seq: number;
}

/** A block of one series changed at or after a given sequence number. */
export interface ChangedBlock {
  seriesId: number;
  key: SeriesKey;
  /** UTC day of the block: days since 1970-01-01 (UTC). */
  day: number;
  seq: number;
}

export interface AccountInfo {
  name: string;
  /** Fitbit / Google profile id seen in imports, null if none seen yet. */
  profileId: string | null;
  /** IANA time zone last seen for the account. */
  timezone: string | null;
}

/**
 * One raw API page as it was answered (the Google Health sync keeps them when sync.keep_raw_pages,
 * so `fitbit-bridge rebuild` can re-derive samples and sessions without downloading again).
 */
export interface RawPage {
  account: string;
  /** API data type id (kebab-case), e.g. `heart-rate`. */
  dataType: string;
  /** Identifies the request (a hash of method, filter / range, page size and page token): a repeated request replaces the page. */
  requestKey: string;
  /** The request, JSON (method, filter or rollUp body, page size, page token). */
  request: string;
  /** Local days (YYYY-MM-DD, inclusive … exclusive) the request's window covers. */
  windowFrom: string;
  windowTo: string;
  /** The window fetch the page belongs to (all pages of one pass over a window share it). */
  fetchId: string;
  /** When the answer arrived (UTC ms); also the `exportMs` its samples were written with. */
  fetchedAt: number;
  /** The exact response text. */
  body: string;
}

export interface RawPageStats {
  pages: number;
  /** Response text bytes before compression. */
  rawBytes: number;
  /** Bytes stored (deflate-raw). */
  storedBytes: number;
}

/** Thrown when the disk (or the configured size limit) is full; the store is left intact. */
export class StoreFullError extends BridgeError {
  constructor(
    public readonly path: string,
    cause?: unknown,
  ) {
    super(
      `the disk holding ${path} is full: nothing of the current file was written and the store is intact`,
      'Free some space and run the command again.',
      EXIT.STORE,
      cause !== undefined ? { cause } : {},
    );
    this.name = 'StoreFullError';
  }
}

export interface Store {
  readonly path: string;

  // ---- transactions -------------------------------------------------------------------------
  /**
   * Runs fn in one write transaction (BEGIN IMMEDIATE: the writer lock; other processes wait up
   * to the busy timeout). Nested calls join the outer transaction. On error everything is rolled back.
   */
  write<T>(fn: () => T): T;

  // ---- samples ------------------------------------------------------------------------------
  /** Merges samples (any order, any days) into the series; idempotent. Bumps the change sequence of every block it changes, and only those. */
  writeSamples(key: SeriesKey, samples: readonly Sample[], opts: WriteOptions): WriteResult;
  /** Removes the samples at these instants whose value is within `tolerance` of `v`; returns how many were removed. */
  removeMatching(key: SeriesKey, samples: readonly Sample[], tolerance: number): number;
  /** Samples of a series in [from, to) ordered by instant, streamed block by block. */
  iterateSamples(key: SeriesKey, from?: number, to?: number): IterableIterator<Sample>;
  /** Samples of one UTC day block (empty array if none). */
  readDay(key: SeriesKey, day: number): Sample[];
  /** The same as readDay, as typed columns sorted by instant (no per-sample objects; for hot loops). */
  readDayColumns(key: SeriesKey, day: number): SampleColumns;
  /** Series, optionally filtered. Counts, first and last come from block metadata (cheap). */
  listSeries(filter?: Partial<SeriesKey>): SeriesInfo[];
  /** UTC days that hold data for a series, ascending. */
  days(key: SeriesKey): number[];

  // ---- sessions -----------------------------------------------------------------------------
  /** Inserts or replaces by (account, kind, source, layer, version, start); idempotent, bumps seq only on change. Returns true when something changed. */
  upsertSession(s: SessionRecord): boolean;
  /** Deletes a stored session by id (a superseded row); returns whether it existed. */
  deleteSession(id: number): boolean;
  /**
   * Sessions overlapping [from, to), ordered by start. With `resolve` (default true):
   * - sleep: only the CHOSEN sessions, one version per physical sleep (src/reconcile/sleep.ts,
   *   by the store's sleep version preference), with `mainSleep` true / false and non-overlapping stages;
   * - exercise: of overlapping sessions from different layers only the preferred layer's
   *   (api > takeout-csv > takeout-json).
   * `{ resolve: false }`: everything stored (sleep alternatives included), as stored.
   */
  sessions(account: string, kind: SessionKind, from?: number, to?: number, opts?: { resolve?: boolean }): StoredSession[];
  /** Which version of a physical sleep counts (state STATE_KEYS.sleepVersion; default newest). */
  sleepVersion(): SleepVersionPreference;
  /**
   * Sets the sleep version preference (`takeout.sleep_version`). Writable store: persisted; when it
   * changes, every sleep session takes a new change sequence (sinks re-send those nights). Read-only
   * store: applies to this connection only. Returns whether the preference changed.
   */
  setSleepVersion(pref: SleepVersionPreference): boolean;

  // ---- change sequence ----------------------------------------------------------------------
  /** The store-wide change sequence: bumped by every write that changes something. */
  currentSeq(): number;
  /** Sample blocks changed after `sinceSeq`, in seq order. */
  changedBlocks(sinceSeq: number): IterableIterator<ChangedBlock>;
  /** Sessions changed after `sinceSeq`. */
  changedSessions(sinceSeq: number): StoredSession[];

  // ---- accounts and key/value state ----------------------------------------------------------
  getAccount(name: string): AccountInfo | null;
  setAccount(info: AccountInfo): void;
  accounts(): AccountInfo[];
  getState(key: string): string | null;
  setState(key: string, value: string): void;

  // ---- raw API pages (additive: schema 2) -------------------------------------------------------
  /** Stores (compressed) or replaces a raw page; joins an enclosing write() transaction. */
  putRawPage(page: RawPage): void;
  /** Raw pages of an account (optionally one data type) in the order they were fetched, streamed a few at a time. */
  rawPages(account: string, dataType?: string): IterableIterator<RawPage>;
  rawPageStats(account?: string): RawPageStats;
  /**
   * Deletes the raw pages of (account, data type) whose window lies inside [from, to) and that
   * belong to another fetch than `keepFetchId` (a complete newer fetch of that window supersedes
   * them). Returns how many were deleted.
   */
  pruneRawPages(account: string, dataType: string, from: string, to: string, keepFetchId: string): number;

  /** Bytes the database files take on disk (main file + WAL). */
  diskBytes(): number;
  /** Checkpoints the WAL and closes. */
  close(): void;
}
