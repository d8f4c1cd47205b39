/**
 * Google Takeout (Fitbit) import: orchestration.
 *
 * Flow: list the inputs → pre-pass that reads only `Your Profile/Profile.csv` (profile id, time
 * zone, weight unit; it may come late in an archive, so zips/folders are scanned for it first and a
 * .tgz gets a cheap extra pass) → refuse an archive of another profile (importTakeout throws an
 * ArchiveError, the CLI exits 2; `force` imports anyway) → main pass, streaming: each known file is
 * parsed completely into per-series buffers and then written in ONE store transaction; a malformed
 * file is reported (files.failed, exitCode 1) and skipped as a whole, a malformed row is skipped
 * with a warning (file + line). Zips and folders are read in two passes (Google-layer CSVs
 * first, then the rest: cheaper de-duplication, same result); a .tgz in one pass.
 *
 * Bounded memory whatever the size of a file (issue 13): while a file is read, every
 * BATCH_SAMPLES samples held in its buffers are staged in a temp table of the store's connection
 * (src/store/staging.ts; small transactions of the temp database only, never across an await);
 * at the end of the file they are read back one UTC day at a time and written in the file's ONE
 * transaction, with the same rules and counts as a file held in memory (writeStagedSeries). A
 * file that fails or is stopped leaves nothing in the store. Limits per file: MAX_FILE_SERIES
 * series, MAX_DAY_SAMPLES samples of one series on one UTC day. `signal` is checked between
 * chunks of a file and between files: the file being read is not written, the summary says
 * `stopped` (exit code 1).
 *
 * Sleep CSVs: UserSleeps rows become sessions (layer takeout-csv), one per (sleep_id, algorithm
 * version): real exports list each sleep once per `algorithm_version`, often under the same sleep_id.
 * UserSleepStages rows are joined to the session of their own sleep_id AND version
 * (`sleep_stages_vN` → `sleep_session_vN`) whichever file comes first (stages without their session
 * are kept in the store's state until the UserSleeps row arrives, also across runs). A stored row of
 * the same sleep_id and version at another start, or without a version (older fitbit-bridge), is
 * superseded and deleted; stored stages that overlap each other (an older version merged two
 * versions' stages into one session) are replaced by the file's. Which version counts is decided when
 * reading (src/reconcile/sleep.ts); the summary reports physical sleeps and alternatives.
 *
 * Time zones: the user's zone comes from `--timezone` (wins), else Profile.csv, else the zone
 * stored for the account. Local-time files (calories/sleep/weight/resting-heart-rate JSON, naive
 * CSVs, daily CSVs stamped at local midnight) fail with a clear error when no zone is known; UTC
 * stamps never need it except for the offset stored with each sample (the zone's offset at that
 * instant; +00:00 with a warning when no zone is known). Session CSVs carry explicit offsets.
 *
 * THE JSON/CSV RULE (the same measurement in two Takeout layers; the rules live in
 * src/reconcile/samples.ts, README "Same measurement in two layers"):
 *   The legacy layer — `Global Export Data` JSON and the old sourceless CSV folders (HRV details,
 *   daily HRV / respiratory rate summaries, Minute/Daily SpO2, temperature, AZM) — has no data
 *   source. A legacy sample that is the same measurement as a Google-layer CSV sample of the same
 *   metric is stored once, as the CSV sample (under the CSV row's data source, with its value):
 *   intraday metrics: the same instant, WHATEVER the values (values further apart than the
 *   metric's matchTolerance are counted as layer disagreements; older versions required them to be
 *   within it and stored both otherwise); daily metrics: the same local day (the Google daily_*.csv
 *   value wins); weight: the same local day and a weight within the JSON's rounding (0.1 lb), the
 *   CSV's real instant winning over the JSON's placeholder time.
 *   Legacy samples that match nothing (e.g. zero-step minutes, which only the JSON layer has)
 *   are stored under the source "Fitbit export (legacy)" (LEGACY_JSON_SOURCE).
 *   The rule is order-independent: writing legacy samples skips those matching a stored
 *   non-legacy series of the metric (the affected day blocks are read; stored legacy twins written
 *   by an older version are removed too); writing CSV samples removes the matching stored legacy
 *   samples. Both counts add up to `dedupedJsonSamples` (by rule in `reconciled`). Importing
 *   json-first or csv-first gives the same store content and the same counts.
 *
 * Overlapping archives: on a conflict (same series and instant, different value) the newer export
 * wins (`exportTimeOf(archive)`); conflicts are counted.
 */
import { Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import { STATE_KEYS } from '../../store/state-keys.js';
import type { MetricId } from '../../metrics/registry.js';
import { addCounts, emptyCounts, totalMerged, type MergeCounts } from '../../reconcile/samples.js';
import { filterLegacy, reconcileStored, recordImportMerges, utcDaysOf } from '../../reconcile/samples-store.js';
import {
  LEGACY_JSON_SOURCE,
  StoreFullError,
  type Sample,
  type SeriesInfo,
  type SeriesKey,
  type SessionRecord,
  type SessionSegment,
  type Store,
  type StoredSession,
} from '../../store/types.js';
import { DAY_MS, Zone, localDateAtOffset, utcDay } from '../../time/index.js';
import { sampleStaging, type SampleStaging } from '../../store/staging.js';
import { algorithmNumber, chooseSleeps, groupSleeps, segmentsOverlap, type SleepVersionPreference } from '../../reconcile/sleep.js';
import type { Logger } from '../../util/log.js';
import { errText } from '../../errors.js';
import { ArchiveError, exportTimeOf, listInputs, readEntries, type ArchiveEntry } from './archive.js';
import { classify, isProfilePath, type Clock, type FileKind } from './files.js';
import { isNoDataFile } from './json.js';
import { FileFormatError, FileOutput, NO_ZONE_MESSAGE, type ParseContext, type ProfileInfo, type SeriesBuffer, type StageGroup } from './parsers/common.js';
import { readProfileCsv } from './parsers/profile.js';
import { passEntries, prefetchedEntries } from './prefetch.js';

export { formatSummary } from './summary.js';
import { zoneFromLabel } from './summary.js';

export interface ImportOptions {
  paths: string[];
  account: string;
  timezone?: string;
  /** Where `timezone` came from, for the summary: the --timezone flag (default) or the configuration. */
  timezoneFrom?: 'flag' | 'config';
  force?: boolean;
  store: Store;
  logger: Logger;
  /** Draw a progress bar on stderr (TTY). */
  progress?: boolean;
  /** Called as the import reads on (bytes of the inputs read, of all; the web UI's progress bar). */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Inflate the next files in a reader thread while parsing (default true). */
  readAhead?: boolean;
  /**
   * Aborts the import (SIGTERM of `import-takeout`, `run` stopping): long scans and parses check it
   * between records; the file being read is not committed (all-or-nothing per file).
   */
  signal?: AbortSignal;
  /**
   * Samples held in memory per file before they are staged (default BATCH_SAMPLES; tests and
   * bench/hostile-import.ts; Infinity: hold every file whole, as before issue 13).
   */
  batchSamples?: number;
}

export interface MetricSummary {
  added: number;
  changed: number;
  unchanged: number;
  /** Local dates of the first and last sample written. */
  first: string | null;
  last: string | null;
}

export interface ImportSummary {
  account: string;
  profileId: string | null;
  zone: { name: string; from: 'profile' | 'flag' | 'config' | 'account' };
  /** Which files' stamps were read as local time with which zone / explicit offsets. */
  zoneUse: string[];
  files: {
    seen: number;
    imported: number;
    noData: number;
    unknown: string[];
    failed: { file: string; error: string }[];
    /** Symbolic links in the folders imported (full paths): skipped, never followed or read. */
    skippedLinks: string[];
  };
  warnings: { file: string; line?: number; message: string }[];
  warningCount: number;
  metrics: Record<string, MetricSummary>;
  sessions: Record<string, { added: number; unchanged: number }>;
  /**
   * Sleep after this import, over the local days the imported sleep sessions touch: physical sleeps
   * (one version each counts: main sleeps and naps) and the stored versions kept as alternatives.
   * Absent when the import had no sleep.
   */
  sleep?: {
    /** Physical sleeps (groups of overlapping sessions of any layer / version). */
    physical: number;
    /** Counted (chosen) sessions that are main sleeps / naps (a night logged in two parts counts two). */
    main: number;
    naps: number;
    /** Stored sleep sessions (every version). */
    stored: number;
    /** Stored versions that no figure counts. */
    alternatives: number;
    version: SleepVersionPreference;
    /** Stored rows of an older fitbit-bridge repaired by this import (superseded rows, stages of two versions merged). */
    repaired: number;
  };
  conflicts: number;
  /** Legacy-layer samples stored once because a Google-layer sample is the same measurement (every rule; = totalMerged(reconciled)). */
  dedupedJsonSamples: number;
  /** The same, by rule (src/reconcile/samples.ts), with the layer disagreements. */
  reconciled: MergeCounts;
  /** The import was stopped (ImportOptions.signal) before its end: the file being read was not written (exit code 1). */
  stopped?: boolean;
  exitCode: number;
}

/** Detailed warnings kept (all are counted in warningCount). */
const MAX_WARNINGS = 500;
const MAX_WARNINGS_PER_FILE = 20;
/** Files this small are read whole and checked for "no data". */
const SMALL_FILE = 64;
const PROGRESS_LOG_MS = 5000;
/** Samples of one file held in memory before they are staged (about 6 MB of buffers). */
export const BATCH_SAMPLES = 100_000;
/** Most samples of one series on one UTC day in one file (one a second is 86,400): a file with more fails. */
export const MAX_DAY_SAMPLES = 1_000_000;
/** Most series (metric and data source) in one file: a file with more fails. */
export const MAX_FILE_SERIES = 1_000;
/** UTC days of a staged series read back per query, and samples per writeSamples call, when a staged file is written. */
const MOVE_DAYS = 64;
const MOVE_SAMPLES = 100_000;
/** Bucket of samples whose instant is not a number (writeSamples rejects them, failing the file as before). */
const BAD_DAY = -(2 ** 52);

/** Thrown between chunks when ImportOptions.signal is aborted. */
class ImportStopped extends Error {
  constructor() {
    super('the import was stopped');
    this.name = 'ImportStopped';
  }
}

/**
 * A file's output that moves its samples into the store's staging table in batches while the
 * file is read (maybeFlush, between chunks). Files below one batch stay in memory (FileOutput as
 * before); `staged` tells which way the file is written.
 */
class StagedOutput extends FileOutput {
  private readonly index = new Map<SeriesBuffer, number>();
  /** mapValues calls of parsers after a batch was staged: applied to staged rows of batch < before. */
  private readonly transforms: { buf: number; before: number; fn: (v: number) => number }[] = [];
  private batch = 0;
  private staging: SampleStaging | null = null;
  /** A limit hit while staging (reported as the file's error whatever the parser made of it). */
  limitError: Error | null = null;
  /** The file failed: the rest of it is read without staging. */
  closed = false;

  constructor(
    private readonly file: string,
    private readonly store: Store,
    private readonly batchSamples: number,
  ) {
    super();
  }

  get staged(): boolean {
    return this.batch > 0;
  }

  override buffer(metric: MetricId, source: string): SeriesBuffer {
    const size = this.series.size;
    const b = super.buffer(metric, source);
    if (this.series.size !== size) {
      if (this.series.size > MAX_FILE_SERIES) {
        this.limitError = new FileFormatError(this.file, `more than ${MAX_FILE_SERIES} series (metric and data source) in one file: the limit per file`);
        throw this.limitError;
      }
      const idx = size;
      this.index.set(b, idx);
      b.onMapValues = (fn) => {
        if (this.batch > 0) this.transforms.push({ buf: idx, before: this.batch, fn });
      };
    }
    return b;
  }

  /** The buffers in order of first use, with their staging index. */
  buffers(): IterableIterator<[SeriesBuffer, number]> {
    return this.index.entries();
  }

  maybeFlush(): void {
    if (this.closed) return;
    let n = 0;
    for (const b of this.index.keys()) n += b.samples.length;
    if (n >= this.batchSamples) this.flush();
  }

  /** Stages every sample held in memory (one temp-database transaction). */
  flush(): void {
    const groups: { buf: number; day: number; samples: Sample[]; idx: number[]; b: SeriesBuffer }[] = [];
    for (const [b, buf] of this.index) {
      const s = b.samples;
      if (!s.length) continue;
      const byDay = new Map<number, number[]>();
      for (let i = 0; i < s.length; i++) {
        const t = (s[i] as Sample).t;
        const day = Number.isFinite(t) ? utcDay(t) : BAD_DAY;
        let l = byDay.get(day);
        if (!l) {
          l = [];
          byDay.set(day, l);
        }
        l.push(i);
      }
      for (const [day, idx] of byDay) groups.push({ buf, day, samples: s, idx, b });
    }
    if (!groups.length) return;
    this.staging ??= sampleStaging(this.store);
    const totals = this.staging.put(this.batch, groups);
    this.batch++;
    for (let k = 0; k < groups.length; k++) {
      if ((totals[k] as number) <= MAX_DAY_SAMPLES) continue;
      const g = groups[k] as (typeof groups)[number];
      const day = g.day === BAD_DAY ? 'one day' : `UTC day ${new Date(g.day * DAY_MS).toISOString().slice(0, 10)}`;
      this.limitError = new FileFormatError(
        this.file,
        `more than ${MAX_DAY_SAMPLES.toLocaleString('en-US')} samples of ${g.b.metric} on ${day}: the limit per series and day`,
      );
      throw this.limitError;
    }
    for (const g of groups) g.b.samples.length = 0;
  }

  /** Samples staged for buffer `buf`. */
  stagedCount(buf: number): number {
    return this.staging?.count(buf) ?? 0;
  }

  /** The staged UTC days of buffer `buf`, ascending, a page at a time. */
  *dayPages(buf: number): Generator<number[]> {
    if (!this.staging) return;
    let after = -Infinity;
    for (;;) {
      const days = this.staging.days(buf, after, MOVE_DAYS);
      if (days.length) yield days;
      if (days.length < MOVE_DAYS) return;
      after = days[days.length - 1] as number;
    }
  }

  /** The staged samples of buffer `buf` on one UTC day, in the order they were pushed (parser transforms applied). */
  daySamples(buf: number, day: number): Sample[] {
    const out: Sample[] = [];
    for (const r of this.staging?.rows(buf, day) ?? []) {
      const fns = this.transforms.filter((x) => x.buf === buf && r.seq < x.before).map((x) => x.fn);
      for (const s of r.samples) {
        for (const fn of fns) s.v = fn(s.v);
        out.push(s);
      }
    }
    return out;
  }

  dispose(): void {
    this.staging?.dispose();
    this.staging = null;
  }
}

/** The chunks of a file, staging full batches and checking the stop signal between chunks. */
async function* guarded(stream: AsyncIterable<Buffer | string>, out: StagedOutput, signal: AbortSignal | undefined): AsyncGenerator<Buffer | string> {
  for await (const c of stream) {
    if (signal?.aborted) throw new ImportStopped();
    out.maybeFlush();
    yield c;
  }
  if (signal?.aborted) throw new ImportStopped();
}

async function readAll(s: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(parts);
}

async function drain(s: AsyncIterable<unknown> | null): Promise<void> {
  if (!s) return;
  try {
    for await (const _ of s) {
      /* discard */
    }
  } catch {
    /* already reported */
  }
}

function noZoneMessage(kind: FileKind): string {
  return `${kind.label}: ${NO_ZONE_MESSAGE}`;
}

function mergeSegments(a: readonly SessionSegment[], b: readonly SessionSegment[]): SessionSegment[] {
  const all = [...a, ...b].sort((x, y) => x.start - y.start || x.end - y.end || (x.stage < y.stage ? -1 : x.stage > y.stage ? 1 : 0));
  const out: SessionSegment[] = [];
  for (const s of all) {
    const p = out[out.length - 1];
    if (p && p.start === s.start && p.end === s.end && p.stage === s.stage) continue;
    out.push({ start: s.start, end: s.end, stage: s.stage });
  }
  return out;
}

/** Key of a UserSleeps sleep: its sleep_id and algorithm version number (`sleep_stages_v2` joins `sleep_session_v2`). */
function csvSleepKey(sleepId: string, version: string | null | undefined): string {
  return `${sleepId}\u0000${algorithmNumber(version)}`;
}

function toRecord(s: StoredSession): SessionRecord {
  return {
    account: s.account,
    kind: s.kind,
    source: s.source,
    layer: s.layer,
    start: s.start,
    startOffset: s.startOffset,
    end: s.end,
    endOffset: s.endOffset,
    externalId: s.externalId ?? null,
    mainSleep: s.mainSleep ?? null,
    version: s.version ?? '',
    segments: s.segments,
    details: s.details,
  };
}

/** Everything that lives for one import run. */
class Run {
  readonly summary: ImportSummary;
  private readonly firstLast = new Map<string, { tMin: number; oMin: number; tMax: number; oMax: number }>();
  private readonly clocks = new Map<string, Set<string>>();
  /** UserSleeps sessions of this run by csvSleepKey (to join stages that come later). */
  private readonly csvSleeps = new Map<string, SessionRecord>();
  /** UserSleepStages groups whose session was not seen yet, by csvSleepKey. */
  private readonly pendingStages = new Map<string, StageGroup>();
  /** Span of the sleep sessions this run wrote (for the summary). */
  private sleepSpan: { from: number; to: number } | null = null;
  /** Stored rows repaired by this run: superseded (same sleep id and version at another start, or unversioned) or with merged stages. */
  private repairedSleeps = 0;
  private noZoneUtcWarned = false;
  private readonly notesSeen = new Set<string>();
  /** Stopped by ImportOptions.signal. */
  stopped = false;
  private get pendingKey(): string {
    return STATE_KEYS.pendingSleepStages(this.opts.account);
  }

  constructor(
    readonly opts: ImportOptions,
    readonly zone: Zone | null,
    readonly profile: ProfileInfo | null,
    zoneInfo: ImportSummary['zone'],
    /** Profile.csv files the pre-pass could not read, by archive + path. */
    private readonly profileErrors: Map<string, string>,
  ) {
    // stages of an earlier run whose UserSleeps row had not been seen yet
    try {
      const saved = JSON.parse(opts.store.getState(this.pendingKey) ?? '[]') as StageGroup[];
      for (const g of saved) this.pendingStages.set(csvSleepKey(g.sleepId, g.version), g);
    } catch {
      /* ignore a damaged state value */
    }
    this.summary = {
      account: opts.account,
      profileId: profile?.id ?? null,
      zone: zoneInfo,
      zoneUse: [],
      files: { seen: 0, imported: 0, noData: 0, unknown: [], failed: [], skippedLinks: [] },
      warnings: [],
      warningCount: 0,
      metrics: {},
      sessions: {},
      conflicts: 0,
      dedupedJsonSamples: 0,
      reconciled: emptyCounts(),
      exitCode: 0,
    };
  }

  get store(): Store {
    return this.opts.store;
  }
  get account(): string {
    return this.opts.account;
  }

  warn(file: string, line: number | undefined, message: string, perFile?: { n: number }): void {
    this.summary.warningCount++;
    if (perFile) {
      perFile.n++;
      if (perFile.n > MAX_WARNINGS_PER_FILE) return;
    }
    if (this.summary.warnings.length < MAX_WARNINGS) this.summary.warnings.push(line === undefined ? { file, message } : { file, line, message });
  }

  fail(file: string, error: string): void {
    this.summary.files.failed.push({ file, error });
    this.opts.logger.warn({ file }, `import failed for ${file}: ${error}`);
  }

  noteClock(clock: Clock | 'failed-no-zone', label: string): void {
    let s = this.clocks.get(clock);
    if (!s) {
      s = new Set();
      this.clocks.set(clock, s);
    }
    s.add(label);
  }

  /** Store's weight samples from data-source series (weight.csv), for the lb/kg decision. */
  knownWeightsKg(from: number, to: number): number[] {
    const out: number[] = [];
    for (const s of this.store.listSeries({ account: this.account, metric: 'weight' })) {
      if (s.source === LEGACY_JSON_SOURCE) continue;
      for (const x of this.store.iterateSamples({ account: s.account, metric: s.metric, source: s.source }, from, to)) out.push(x.v);
    }
    return out;
  }

  async handleEntry(e: ArchiveEntry, exportMs: number): Promise<void> {
    const f = this.summary.files;
    const c = classify(e.path);
    if (c.type === 'ignored') return;
    if (c.type === 'profile') {
      const err = this.profileErrors.get(`${e.archive}\u0000${e.path}`);
      if (err) this.fail(e.path, err);
      else f.imported++;
      return;
    }
    if (c.type === 'unknown') {
      if (e.size <= SMALL_FILE) {
        try {
          const buf = await readAll(await e.open());
          if (isNoDataFile(buf)) {
            f.noData++;
            return;
          }
        } catch {
          /* listed as unknown */
        }
      }
      f.unknown.push(e.path);
      return;
    }
    const kind = c.kind;
    if (kind.clock === 'local' && !this.zone) {
      this.noteClock('failed-no-zone', kind.label);
      this.fail(e.path, noZoneMessage(kind));
      return;
    }
    let stream: (NodeJS.ReadableStream & AsyncIterable<Buffer>) | null = null;
    try {
      stream = await e.open();
      if (e.size <= SMALL_FILE) {
        const buf = await readAll(stream);
        stream = null;
        if (isNoDataFile(buf)) {
          f.noData++;
          return;
        }
        stream = Readable.from([buf]);
      }
    } catch (err) {
      this.fail(e.path, errText(err));
      return;
    }
    const out = new StagedOutput(e.path, this.store, this.opts.batchSamples ?? BATCH_SAMPLES);
    try {
      await this.parseAndCommit(e, kind, stream, out, exportMs);
    } finally {
      out.dispose();
    }
  }

  /** Marks the import stopped; the file being read (if any) is listed as not written. */
  stop(file?: string): void {
    if (file) this.fail(file, 'the import was stopped while this file was read: nothing of it was written');
    this.stopped = true;
    this.summary.stopped = true;
  }

  private async parseAndCommit(
    e: ArchiveEntry,
    kind: Extract<ReturnType<typeof classify>, { type: 'kind' }>['kind'],
    source: NodeJS.ReadableStream & AsyncIterable<Buffer>,
    out: StagedOutput,
    exportMs: number,
  ): Promise<void> {
    const f = this.summary.files;
    const signal = this.opts.signal;
    const stream = Readable.from(guarded(source, out, signal));
    const perFile = { n: 0 };
    const ctx: ParseContext = {
      file: e.path,
      account: this.account,
      zone: this.zone,
      profile: this.profile,
      out,
      warn: (line, message) => this.warn(e.path, line, message, perFile),
      knownWeightsKg: (a, b) => this.knownWeightsKg(a, b),
    };
    try {
      await kind.parse(stream, ctx, e.size);
      if (signal?.aborted) throw new ImportStopped();
      // the rest of a staged file joins it in the staging table (as does a last chunk of a batch or more)
      if (out.staged) out.flush();
      else out.maybeFlush();
    } catch (err) {
      if (err instanceof ImportStopped || signal?.aborted) {
        stream.destroy();
        this.stop(e.path);
        return;
      }
      out.closed = true;
      await drain(stream);
      this.fail(e.path, errText(out.limitError ?? err));
      return;
    }
    if (perFile.n > MAX_WARNINGS_PER_FILE) {
      this.summary.warnings.push({ file: e.path, message: `${perFile.n - MAX_WARNINGS_PER_FILE} more warnings for this file not listed` });
    }
    // a note (e.g. the unit assumed for weight) is said once per import, at the first file it concerns
    for (const n of out.notes) {
      if (this.notesSeen.has(n)) continue;
      this.notesSeen.add(n);
      this.warn(e.path, undefined, `${n}; the same holds for every later file of this kind`);
    }
    if (kind.clock === 'utc' && !this.zone && !this.noZoneUtcWarned) {
      this.noZoneUtcWarned = true;
      this.warn(e.path, undefined, 'no time zone known: UTC-stamped samples are stored with offset +00:00 (pass --timezone to record local offsets)');
    }
    try {
      if (out.staged) this.commitStaged(out, exportMs);
      else this.commit(out, exportMs);
    } catch (err) {
      this.fail(e.path, `not written: ${errText(err)}`);
      if (err instanceof StoreFullError) throw err;
      return;
    }
    this.noteClock(kind.clock, kind.label);
    f.imported++;
  }

  /** Writes one file's output in one transaction. */
  private commit(out: FileOutput, exportMs: number): void {
    this.store.write(() => {
      // the series of each metric this file touches, read once per file (inside the transaction)
      const byMetric = new Map<MetricId, SeriesInfo[]>();
      for (const b of out.series.values()) {
        let series = byMetric.get(b.metric);
        if (!series) {
          series = this.store.listSeries({ account: this.account, metric: b.metric });
          byMetric.set(b.metric, series);
        }
        this.writeSeries(b, exportMs, series);
      }
      this.writeSessions(out.sessions, out.stageGroups);
    });
  }

  private writeSeries(b: SeriesBuffer, exportMs: number, series: readonly SeriesInfo[]): void {
    const store = this.store;
    let samples = b.samples;
    if (!samples.length) return;
    const legacy = b.source === LEGACY_JSON_SOURCE;
    if (legacy && series.some((s) => s.source !== LEGACY_JSON_SOURCE && s.count > 0)) {
      // a legacy sample that IS a stored Google-layer sample is not written (src/reconcile/samples.ts)
      const before = series.some((s) => s.source === LEGACY_JSON_SOURCE && s.count > 0);
      const f = filterLegacy(store, this.account, b.metric, samples);
      if (f.dropped.length) {
        samples = f.keep;
        this.countMerged(f.counts);
        // a store written by an older version may hold the same legacy samples already: removed too
        // (re-importing repairs; not counted again, the dropped samples were)
        if (before) reconcileStored(store, this.account, b.metric, utcDaysOf(f.dropped));
      }
    }
    if (!samples.length) {
      this.touchMetric(b.metric);
      return;
    }
    const key: SeriesKey = { account: this.account, metric: b.metric, source: b.source };
    const r = store.writeSamples(key, samples, { exportMs });
    const m = this.touchMetric(b.metric);
    m.added += r.added;
    m.changed += r.changed;
    m.unchanged += r.unchanged + r.keptNewer;
    this.summary.conflicts += r.changed + r.keptNewer;
    if (!legacy && series.some((s) => s.source === LEGACY_JSON_SOURCE && s.count > 0)) {
      // stored legacy samples that are one of these Google-layer samples are removed
      const c = reconcileStored(store, this.account, b.metric, utcDaysOf(samples));
      this.countMerged(c);
      // `added` is net: legacy samples added earlier in this run and now replaced by their CSV twin
      // do not count twice (json-first and csv-first report the same numbers)
      m.added = Math.max(0, m.added - totalMerged(c));
    }
    this.noteFirstLast(b.metric, m, samples);
  }

  /** First and last local day of a metric, over the samples written. */
  private noteFirstLast(metric: MetricId, m: MetricSummary, samples: readonly Sample[]): void {
    let fl = this.firstLast.get(metric);
    if (!fl) {
      fl = { tMin: Infinity, oMin: 0, tMax: -Infinity, oMax: 0 };
      this.firstLast.set(metric, fl);
    }
    for (const s of samples) {
      if (s.t < fl.tMin) {
        fl.tMin = s.t;
        fl.oMin = s.offset;
      }
      if (s.t > fl.tMax) {
        fl.tMax = s.t;
        fl.oMax = s.offset;
      }
    }
    m.first = localDateAtOffset(fl.tMin, fl.oMin);
    m.last = localDateAtOffset(fl.tMax, fl.oMax);
  }

  /**
   * Writes a staged file in one transaction: the same as commit() of the file held whole, its
   * samples read back a few UTC days at a time. Every rule of writeSeries works per UTC day (or
   * on the days either side, and only ever compares legacy samples with stored non-legacy ones),
   * so per-day reads give the same store and the same counts: legacy samples are all matched
   * (and stale stored twins removed) before any is written, a Google-layer series is written
   * whole before its stored legacy twins are removed (reconcileStored is idempotent: a day seen
   * twice at a page boundary removes nothing more), and equal instants keep their file order.
   */
  private commitStaged(out: StagedOutput, exportMs: number): void {
    this.store.write(() => {
      const byMetric = new Map<MetricId, SeriesInfo[]>();
      for (const [b, idx] of out.buffers()) {
        let series = byMetric.get(b.metric);
        if (!series) {
          series = this.store.listSeries({ account: this.account, metric: b.metric });
          byMetric.set(b.metric, series);
        }
        this.writeStagedSeries(out, b, idx, exportMs, series);
      }
      this.writeSessions(out.sessions, out.stageGroups);
    });
  }

  private writeStagedSeries(out: StagedOutput, b: SeriesBuffer, idx: number, exportMs: number, series: readonly SeriesInfo[]): void {
    if (out.stagedCount(idx) === 0) return;
    const store = this.store;
    const legacy = b.source === LEGACY_JSON_SOURCE;
    // UTC days with legacy samples that are stored Google-layer samples (filterLegacy compares
    // with stored non-legacy samples only, which writing this legacy series does not change, so
    // it drops the same samples again in step 2, and nothing on the other days)
    const droppedDays = new Set<number>();
    if (legacy && series.some((s) => s.source !== LEGACY_JSON_SOURCE && s.count > 0)) {
      // 1. which legacy samples are stored Google-layer samples; stale stored legacy twins removed
      const before = series.some((s) => s.source === LEGACY_JSON_SOURCE && s.count > 0);
      for (const days of out.dayPages(idx)) {
        const dropped = new Set<number>();
        for (const day of days) {
          const f = filterLegacy(store, this.account, b.metric, out.daySamples(idx, day));
          if (!f.dropped.length) continue;
          this.countMerged(f.counts);
          dropped.add(day);
          droppedDays.add(day);
        }
        if (before && dropped.size) reconcileStored(store, this.account, b.metric, dropped);
      }
    }
    // 2. the samples (legacy: those not dropped), a few days per writeSamples call
    const m = this.touchMetric(b.metric);
    const key: SeriesKey = { account: this.account, metric: b.metric, source: b.source };
    let acc: Sample[] = [];
    const write = (): void => {
      if (!acc.length) return;
      const r = store.writeSamples(key, acc, { exportMs });
      m.added += r.added;
      m.changed += r.changed;
      m.unchanged += r.unchanged + r.keptNewer;
      this.summary.conflicts += r.changed + r.keptNewer;
      this.noteFirstLast(b.metric, m, acc);
      acc = [];
    };
    for (const days of out.dayPages(idx)) {
      for (const day of days) {
        let samples = out.daySamples(idx, day);
        if (droppedDays.has(day)) samples = filterLegacy(store, this.account, b.metric, samples).keep;
        for (const x of samples) acc.push(x);
        if (acc.length >= MOVE_SAMPLES) write();
      }
    }
    write();
    // 3. stored legacy samples that are one of these Google-layer samples are removed
    if (!legacy && series.some((s) => s.source === LEGACY_JSON_SOURCE && s.count > 0)) {
      for (const days of out.dayPages(idx)) {
        const c = reconcileStored(store, this.account, b.metric, days);
        this.countMerged(c);
        m.added = Math.max(0, m.added - totalMerged(c));
      }
    }
  }

  private countMerged(c: MergeCounts): void {
    addCounts(this.summary.reconciled, c);
    this.summary.dedupedJsonSamples += totalMerged(c);
  }

  private touchMetric(id: MetricId): MetricSummary {
    let m = this.summary.metrics[id];
    if (!m) {
      m = { added: 0, changed: 0, unchanged: 0, first: null, last: null };
      this.summary.metrics[id] = m;
    }
    return m;
  }

  private countSession(key: string, changed: boolean): void {
    let c = this.summary.sessions[key];
    if (!c) {
      c = { added: 0, unchanged: 0 };
      this.summary.sessions[key] = c;
    }
    if (changed) c.added++;
    else c.unchanged++;
  }

  /** Stored CSV-layer sleep sessions overlapping [from, to), by csvSleepKey (several: older stores, other starts). */
  private storedCsvSleeps(from: number, to: number): Map<string, StoredSession[]> {
    const m = new Map<string, StoredSession[]>();
    for (const s of this.store.sessions(this.account, 'sleep', from, to, { resolve: false })) {
      if (s.layer !== 'takeout-csv' || !s.externalId) continue;
      const k = csvSleepKey(s.externalId, s.version);
      const l = m.get(k);
      if (l) l.push(s);
      else m.set(k, [s]);
    }
    return m;
  }

  private noteSleep(from: number, to: number): void {
    this.sleepSpan = this.sleepSpan ? { from: Math.min(this.sleepSpan.from, from), to: Math.max(this.sleepSpan.to, to) } : { from, to };
  }

  private writeSessions(sessions: SessionRecord[], groups: StageGroup[]): void {
    const store = this.store;
    const csvSleeps = sessions.filter((s) => s.kind === 'sleep' && s.layer === 'takeout-csv');
    let stored: Map<string, StoredSession[]> | null = null;
    if (csvSleeps.length) {
      let lo = Infinity,
        hi = -Infinity;
      for (const s of csvSleeps) {
        lo = Math.min(lo, s.start);
        hi = Math.max(hi, s.end);
      }
      stored = this.storedCsvSleeps(lo - DAY_MS, hi + DAY_MS);
    }
    for (const s of sessions) {
      let rec = s;
      if (s.kind === 'sleep') this.noteSleep(s.start, s.end);
      if (s.kind === 'sleep' && s.layer === 'takeout-csv' && s.externalId) {
        const key = csvSleepKey(s.externalId, s.version);
        let segs: SessionSegment[] = [];
        // stored rows of this sleep id and version: the same row keeps its stages (unless an older
        // version merged two versions' stages into it); a row at another start, or an unversioned
        // row of the same sleep id, is superseded by this one
        const prevs = [...(stored?.get(key) ?? []), ...(s.version ? (stored?.get(csvSleepKey(s.externalId, '')) ?? []) : [])];
        for (const prev of prevs) {
          if (prev.start === s.start && prev.source === s.source && (prev.version ?? '') === (s.version ?? '')) {
            if (!segmentsOverlap(prev.segments)) segs = prev.segments;
            else this.repairedSleeps++;
          } else if (store.deleteSession(prev.id)) this.repairedSleeps++;
        }
        // stages waiting for this sleep (an older run's state has no version: key of version 0)
        for (const k of new Set([key, csvSleepKey(s.externalId, '')])) {
          const pend = this.pendingStages.get(k);
          if (!pend || algorithmNumber(pend.version) !== algorithmNumber(s.version)) continue;
          segs = mergeSegments(segs, pend.segments);
          this.pendingStages.delete(k);
        }
        rec = { ...s, segments: segs };
        this.csvSleeps.set(key, rec);
      }
      this.countSession(`${rec.kind} (${rec.layer})`, store.upsertSession(rec));
    }
    if (groups.length) {
      let lo = Infinity,
        hi = -Infinity;
      for (const g of groups)
        for (const x of g.segments) {
          lo = Math.min(lo, x.start);
          hi = Math.max(hi, x.end);
        }
      const st = this.storedCsvSleeps(lo - DAY_MS, hi + DAY_MS);
      for (const g of groups) {
        const key = csvSleepKey(g.sleepId, g.version);
        let found = this.csvSleeps.get(key);
        if (!found) {
          const rows = st.get(key) ?? [];
          // no version in the stages file: the only stored session of that sleep id
          const any = algorithmNumber(g.version) === 0 && rows.length === 0 ? [...st.entries()].filter(([k]) => k.startsWith(`${g.sleepId}\u0000`)) : [];
          const row = rows[0] ?? (any.length === 1 && any[0]![1].length === 1 ? any[0]![1][0] : undefined);
          if (row) found = toRecord(row);
        }
        if (!found) {
          const p = this.pendingStages.get(key);
          this.pendingStages.set(key, p ? { ...p, segments: mergeSegments(p.segments, g.segments) } : g);
          continue;
        }
        // stages of two versions merged into one row by an older fitbit-bridge: replaced by the file's
        const merged = segmentsOverlap(found.segments);
        if (merged) this.repairedSleeps++;
        const base = merged ? [] : found.segments;
        const rec: SessionRecord = { ...found, segments: mergeSegments(base, g.segments) };
        this.csvSleeps.set(csvSleepKey(rec.externalId ?? g.sleepId, rec.version), rec);
        this.noteSleep(rec.start, rec.end);
        this.countSession('sleep stages (takeout-csv)', store.upsertSession(rec));
      }
    }
  }

  /** What the summary says about sleep: physical sleeps and alternatives over the days this run touched. */
  private sleepSummary(): ImportSummary['sleep'] {
    if (!this.sleepSpan) return undefined;
    const { from, to } = this.sleepSpan;
    const all = this.store.sessions(this.account, 'sleep', from - DAY_MS, to + DAY_MS, { resolve: false });
    const version = this.store.sleepVersion();
    const { chosen, alternatives } = chooseSleeps(all, version);
    const main = chosen.filter((s) => s.mainSleep !== false).length;
    return {
      physical: groupSleeps(all).length,
      main,
      naps: chosen.length - main,
      stored: all.length,
      alternatives: alternatives.length,
      version,
      repaired: this.repairedSleeps,
    };
  }

  finish(): ImportSummary {
    const s = this.summary;
    const sleep = this.sleepSummary();
    if (sleep) s.sleep = sleep;
    if (this.pendingStages.size) {
      s.warningCount++;
      s.warnings.push({
        file: 'UserSleepStages',
        message: `${this.pendingStages.size} sleep(s) in UserSleepStages have no UserSleeps row yet (ids ${[...this.pendingStages.values()]
          .map((g) => g.sleepId)
          .slice(0, 5)
          .join(', ')}${this.pendingStages.size > 5 ? ', …' : ''}); their stages are kept and joined when the UserSleeps file is imported`,
      });
    }
    const saved = this.opts.store.getState(this.pendingKey);
    const now = this.pendingStages.size ? JSON.stringify([...this.pendingStages.values()]) : null;
    if (now !== null ? now !== saved : saved !== null && saved !== '[]') {
      this.opts.store.write(() => this.opts.store.setState(this.pendingKey, now ?? '[]'));
    }
    const zn = this.zone ? `${this.zone.name} (from ${zoneFromLabel(s.zone.from)})` : null;
    const list = (k: string): string => [...(this.clocks.get(k) ?? [])].sort().join(', ');
    if (this.clocks.has('local')) s.zoneUse.push(`local time, converted with ${zn}: ${list('local')}`);
    if (this.clocks.has('utc'))
      s.zoneUse.push(zn ? `UTC stamps, offsets from ${zn}: ${list('utc')}` : `UTC stamps, offsets stored as +00:00 (no zone known): ${list('utc')}`);
    if (this.clocks.has('offset')) s.zoneUse.push(`UTC stamps with the explicit offsets in the file: ${list('offset')}`);
    if (this.clocks.has('failed-no-zone')) s.zoneUse.push(`NOT imported (local time, no zone known; pass --timezone): ${list('failed-no-zone')}`);
    if (Object.keys(s.metrics).length) recordImportMerges(this.opts.store, this.account, s.reconciled);
    s.exitCode = s.files.failed.length || this.stopped ? 1 : 0;
    return s;
  }
}

interface FoundProfile {
  archive: string;
  file: string;
  info: ProfileInfo;
}

/** Pre-pass: Profile.csv of each input (only that file is opened; a .tgz is streamed once for it). */
async function findProfiles(paths: string[], logger: Logger, errors: Map<string, string>, signal?: AbortSignal): Promise<FoundProfile[]> {
  const found: FoundProfile[] = [];
  for (const p of paths) {
    let current = '';
    try {
      for await (const e of readEntries([p], { signal })) {
        if (!isProfilePath(e.path)) continue;
        current = e.path;
        found.push({ archive: p, file: e.path, info: await readProfileCsv(await e.open(), e.path) });
        break;
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      // a broken input is reported by the main pass; a broken Profile.csv is reported for that file
      if (current) errors.set(`${p}\u0000${current}`, `cannot read the profile: ${errText(err)}`);
      logger.debug({ archive: p, err: errText(err) }, 'profile pre-pass');
    }
  }
  return found;
}

export async function importTakeout(opts: ImportOptions): Promise<ImportSummary> {
  const { store, logger, account } = opts;
  const inputs = await listInputs(opts.paths, { signal: opts.signal });
  const profileErrors = new Map<string, string>();
  const profiles = await findProfiles(
    inputs.map((i) => i.path),
    logger,
    profileErrors,
    opts.signal,
  );
  const acct = store.getAccount(account);
  const ids = [...new Set(profiles.map((p) => p.info.id).filter((x): x is string => !!x))];
  if (ids.length > 1 && !opts.force) {
    throw new ArchiveError(
      profiles[0]?.archive ?? '',
      `the inputs hold different Fitbit profiles (${ids.join(', ')}): import them into different accounts, or pass --force`,
      undefined,
      'other-profile',
    );
  }
  const profile = profiles[0]?.info ?? null;
  if (profile?.id && acct?.profileId && acct.profileId !== profile.id && !opts.force) {
    const p = profiles.find((x) => x.info.id === profile.id) as FoundProfile;
    throw new ArchiveError(
      p.archive,
      `${p.archive}: this export belongs to Fitbit profile ${profile.id}, but account "${account}" holds profile ${acct.profileId}; nothing was imported. Use another --account, or --force to import anyway`,
      undefined,
      'other-profile',
    );
  }

  let zone: Zone | null = null;
  let zoneInfo: ImportSummary['zone'] = { name: '(none)', from: 'account' };
  const pick = (name: string, from: ImportSummary['zone']['from']): void => {
    zone = new Zone(name); // throws a clear error for an unknown zone
    zoneInfo = { name: zone.name, from };
  };
  if (opts.timezone) pick(opts.timezone, opts.timezoneFrom ?? 'flag');
  else if (profile?.timezone) {
    try {
      pick(profile.timezone, 'profile');
    } catch (err) {
      if (acct?.timezone) pick(acct.timezone, 'account');
      else throw new Error(`Profile.csv time zone: ${errText(err)}; pass --timezone`);
    }
  } else if (acct?.timezone) pick(acct.timezone, 'account');

  const run = new Run(opts, zone, profile, zoneInfo, profileErrors);
  const f = run.summary.files;
  f.skippedLinks = inputs.flatMap((i) => i.skippedLinks);

  // progress
  const totalBytes = inputs.reduce((a, i) => a + i.bytes, 0);
  let doneBytes = 0;
  const bar =
    opts.progress && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            stream: process.stderr,
            hideCursor: true,
            etaBuffer: 50,
            format: 'importing |{bar}| {percentage}% | {done}/{totalMb} MB | {files} files | ETA {eta_formatted}',
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  const mb = (b: number): string => (b / 1048576).toFixed(1);
  bar?.start(Math.max(1, totalBytes), 0, { done: mb(0), totalMb: mb(totalBytes), files: 0 });
  let lastLog = Date.now();
  const tick = (): void => {
    opts.onProgress?.(Math.min(doneBytes, totalBytes), totalBytes);
    if (bar) {
      bar.update(Math.min(doneBytes, totalBytes), { done: mb(doneBytes), totalMb: mb(totalBytes), files: f.seen });
      return;
    }
    const now = Date.now();
    if (now - lastLog >= PROGRESS_LOG_MS) {
      lastLog = now;
      logger.info(
        { files: f.seen, mb: Number(mb(doneBytes)), totalMb: Number(mb(totalBytes)) },
        `import: ${f.seen} files, ${mb(doneBytes)} of ${mb(totalBytes)} MB`,
      );
    }
  };

  // Zips and folders are read in two passes: the Google-layer CSVs first, then the rest, so the
  // legacy layer is matched against stored CSV samples (cheap) rather than written and removed
  // again (the result is the same either way). A .tgz is streamed once, in archive order.
  // A reader thread inflates the next files while this thread parses and writes (prefetch.ts).
  try {
    inputs: for (const inp of inputs) {
      const exportMs = exportTimeOf(inp.path);
      const passes: ('csv' | 'rest' | 'all')[] = inp.kind === 'tgz' ? ['all'] : ['csv', 'rest'];
      for (const pass of passes) {
        try {
          const entries =
            opts.readAhead === false
              ? passEntries(inp.path, pass, opts.signal)
              : prefetchedEntries(inp.path, { pass, smallFile: SMALL_FILE, signal: opts.signal });
          for await (const e of entries) {
            if (opts.signal?.aborted) run.stop();
            if (run.stopped) break;
            f.seen++;
            doneBytes += e.compressedSize;
            await run.handleEntry(e, exportMs);
            tick();
          }
          if (run.stopped) break inputs;
        } catch (err) {
          if (err instanceof StoreFullError) throw err;
          if (opts.signal?.aborted) {
            // stopped once reading began: the summary says what was stored (the CLI adds the reason)
            run.stop();
            break inputs;
          }
          const file = err instanceof ArchiveError && err.entry ? `${inp.path}: ${err.entry}` : inp.path;
          run.fail(file, errText(err));
          break;
        }
      }
    }
  } finally {
    bar?.stop();
  }

  const summary = run.finish();
  const name = zone ? (zone as Zone).name : (acct?.timezone ?? null);
  store.write(() =>
    store.setAccount({
      name: account,
      profileId: profile?.id ?? acct?.profileId ?? null,
      timezone: name,
    }),
  );
  if (!summary.profileId) summary.profileId = acct?.profileId ?? null;
  if (summary.stopped) logger.warn({ account, files: f.seen, imported: f.imported }, 'takeout import stopped before its end');
  else logger.info({ account, files: f.seen, imported: f.imported, failed: f.failed.length, warnings: summary.warningCount }, 'takeout import done');
  return summary;
}
