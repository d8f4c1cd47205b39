/**
 * The SQLite store (better-sqlite3, WAL). See types.ts for the contract.
 *
 * - Samples: one row per series per UTC day in `blocks`, the day's samples encoded by codec.ts.
 *   Writes decode the day's block, merge by instant and re-encode only when something changed.
 * - Change sequence: a store-wide counter (`counters.seq`). Every changed block, deleted block
 *   (tombstone) and changed session takes the next value, so seqs are unique per change.
 * - Locking: `write(fn)` = BEGIN IMMEDIATE … COMMIT (SQLite's writer lock; other processes wait up
 *   to the busy timeout). Nested calls join the outer transaction through a SAVEPOINT, so an inner
 *   error rolls back only the inner work (and is rethrown).
 */
import Database from 'better-sqlite3';
import { statSync, statfsSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { dirname } from 'node:path';
import { isMetricId, type SessionKind } from '../metrics/registry.js';
import { DAY_MS, dayStart, utcDay } from '../time/index.js';
import { failpoint } from '../util/failpoints.js';
import { ensurePrivateFile, mkdirPrivate } from '../util/private-fs.js';
import { DEFAULT_SLEEP_VERSION, chooseSleeps, isSleepVersionPreference, type SleepVersionPreference } from '../reconcile/sleep.js';
import { STATE_KEYS } from './state-keys.js';
import { decodeColumns, encodeColumns, type Columns } from './codec.js';
import { MIGRATIONS, migrate } from './schema.js';
import {
  StoreFullError,
  type AccountInfo,
  type ChangedBlock,
  type RawPage,
  type RawPageStats,
  type Sample,
  type SampleColumns,
  type SeriesInfo,
  type SeriesKey,
  type SessionLayer,
  type SessionRecord,
  type SessionSegment,
  type Store,
  type StoredSession,
  type WriteOptions,
  type WriteResult,
} from './types.js';

export { SCHEMA_VERSION, SchemaVersionError } from './schema.js';

export interface OpenStoreOptions {
  readonly?: boolean;
  /** How long a write waits for another process's write lock (default 15 000 ms). */
  busyTimeoutMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 15_000;
/** Largest UTC offset accepted, in minutes (real ones stay within −12:00 … +14:00). */
const MAX_OFFSET_MIN = 18 * 60;
/** Blocks fetched per query while streaming (keeps memory flat and the connection free). */
const PAGE_BLOCKS = 8;
const PAGE_CHANGES = 1000;
const PAGE_RAW = 16;
/** An I/O write error with less free space than this on the volume counts as "disk full". */
const LOW_SPACE_BYTES = 64 * 1024 * 1024;

const LAYER_RANK: Record<SessionLayer, number> = { 'takeout-json': 0, 'takeout-csv': 1, api: 2 };
const LAYERS = new Set<string>(Object.keys(LAYER_RANK));
const STAGES = new Set<string>(['wake', 'light', 'deep', 'rem', 'asleep', 'restless', 'unknown']);
const SESSION_KINDS = new Set<string>(['sleep', 'exercise']);

/** A row of the series listing (series plus block metadata); also read by the repair migration. */
export interface ListSeriesRow {
  id: number;
  account: string;
  metric: string;
  source: string;
  count: number;
  first: number | null;
  last: number | null;
}

interface BlockRow {
  n: number;
  export_ms: number;
  data: Buffer;
}

interface SessionRow {
  id: number;
  account: string;
  kind: string;
  source: string;
  layer: string;
  version: string;
  start: number;
  start_offset: number;
  end: number;
  end_offset: number;
  external_id: string | null;
  main_sleep: number | null;
  segments: string;
  details: string;
  seq: number;
}

interface RawPageRow {
  id: number;
  account: string;
  data_type: string;
  request_key: string;
  request: string;
  win_from: string;
  win_to: string;
  fetch_id: string;
  fetched_at: number;
  body: Buffer;
}

interface SeriesRow {
  id: number;
  account: string;
  metric: string;
  source: string;
}

function sqliteCode(e: unknown): string | undefined {
  if (e instanceof Database.SqliteError) return e.code;
  return undefined;
}

/** JSON with object keys sorted, so equal content always serialises the same way. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(o).sort()) sorted[k] = o[k];
      return sorted;
    }
    return v;
  });
}

function clampBound(x: number): number {
  if (x === Infinity) return Number.MAX_VALUE;
  if (x === -Infinity) return -Number.MAX_VALUE;
  return x;
}

function seriesLabel(key: SeriesKey): string {
  return `${key.account}/${key.metric}/${key.source}`;
}

function newResult(): WriteResult {
  return { added: 0, changed: 0, keptNewer: 0, unchanged: 0 };
}

export class SqliteStore implements Store {
  readonly db: Database.Database;
  readonly readonly: boolean;
  private depth = 0;
  private readonly listSeriesStmts = new Map<string, Database.Statement<string[], ListSeriesRow>>();
  private closed = false;
  /** Sleep version preference of a read-only connection (setSleepVersion); null: the stored one. */
  private sleepPref: SleepVersionPreference | null = null;
  private readonly seriesIds = new Map<string, number>();
  private readonly seriesKeys = new Map<number, SeriesKey>();
  private readonly st: ReturnType<SqliteStore['prepare']>;

  constructor(
    readonly path: string,
    opts: OpenStoreOptions = {},
  ) {
    this.readonly = opts.readonly ?? false;
    const memory = path === ':memory:' || path === '';
    if (!this.readonly && !memory) {
      // private: folder 0700, file 0600 (SQLite gives -wal / -shm the file's mode); existing ones keep theirs
      mkdirPrivate(dirname(path));
      ensurePrivateFile(path);
    }
    this.db = new Database(path, {
      readonly: this.readonly,
      fileMustExist: this.readonly,
      timeout: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    });
    try {
      if (!this.readonly && !memory) {
        const mode = this.db.pragma('journal_mode = WAL', { simple: true }) as string;
        if (String(mode).toLowerCase() !== 'wal') throw new Error(`cannot switch ${path} to WAL mode (got ${mode})`);
      }
      this.db.pragma('synchronous = NORMAL');
      migrate(this.db, path, this.readonly, MIGRATIONS);
      this.st = this.prepare();
    } catch (e) {
      this.db.close();
      throw this.mapError(e);
    }
  }

  private prepare() {
    const db = this.db;
    return {
      nextSeq: db.prepare<[], { value: number }>(`UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value`),
      currentSeq: db.prepare<[], { value: number }>(`SELECT value FROM counters WHERE name = 'seq'`),
      getSeries: db.prepare<[string, string, string], { id: number }>(`SELECT id FROM series WHERE account = ? AND metric = ? AND source = ?`),
      insertSeries: db.prepare<[string, string, string]>(`INSERT INTO series (account, metric, source) VALUES (?, ?, ?)`),
      seriesById: db.prepare<[number], SeriesRow>(`SELECT id, account, metric, source FROM series WHERE id = ?`),
      getBlock: db.prepare<[number, number], BlockRow>(`SELECT n, export_ms, data FROM blocks WHERE series_id = ? AND day = ?`),
      insertBlock: db.prepare<[number, number, number, number, number, number, number, Buffer]>(
        `INSERT INTO blocks (series_id, day, seq, n, t_first, t_last, export_ms, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateBlock: db.prepare<[number, number, number, number, number, Buffer, number, number]>(
        `UPDATE blocks SET seq = ?, n = ?, t_first = ?, t_last = ?, export_ms = ?, data = ? WHERE series_id = ? AND day = ?`,
      ),
      deleteBlock: db.prepare<[number, number]>(`DELETE FROM blocks WHERE series_id = ? AND day = ?`),
      putTombstone: db.prepare<[number, number, number]>(`INSERT OR REPLACE INTO block_tombstones (series_id, day, seq) VALUES (?, ?, ?)`),
      deleteTombstone: db.prepare<[number, number]>(`DELETE FROM block_tombstones WHERE series_id = ? AND day = ?`),
      blockPage: db.prepare<[number, number, number], { day: number; data: Buffer }>(
        `SELECT day, data FROM blocks WHERE series_id = ? AND day >= ? AND day <= ? ORDER BY day LIMIT ${PAGE_BLOCKS}`,
      ),
      days: db.prepare<[number], number>(`SELECT day FROM blocks WHERE series_id = ? ORDER BY day`).pluck(),
      changedPage: db.prepare<[{ since: number; limit: number }], { series_id: number; day: number; seq: number }>(
        `SELECT series_id, day, seq FROM blocks WHERE seq > @since
         UNION ALL SELECT series_id, day, seq FROM block_tombstones WHERE seq > @since
         ORDER BY seq LIMIT @limit`,
      ),
      getSession: db.prepare<[string, string, string, string, string, number], SessionRow>(
        `SELECT * FROM sessions WHERE account = ? AND kind = ? AND source = ? AND layer = ? AND version = ? AND start = ?`,
      ),
      insertSession: db.prepare(
        `INSERT INTO sessions (account, kind, source, layer, version, start, start_offset, "end", end_offset, external_id, main_sleep, segments, details, seq)
         VALUES (@account, @kind, @source, @layer, @version, @start, @start_offset, @end, @end_offset, @external_id, @main_sleep, @segments, @details, @seq)`,
      ),
      deleteSession: db.prepare<[number]>(`DELETE FROM sessions WHERE id = ?`),
      sleepSessionIds: db.prepare<[], number>(`SELECT id FROM sessions WHERE kind = 'sleep' ORDER BY id`).pluck(),
      setSessionSeq: db.prepare<[number, number]>(`UPDATE sessions SET seq = ? WHERE id = ?`),
      updateSession: db.prepare(
        `UPDATE sessions SET start_offset = @start_offset, "end" = @end, end_offset = @end_offset, external_id = @external_id,
         main_sleep = @main_sleep, segments = @segments, details = @details, seq = @seq WHERE id = @id`,
      ),
      sessionsOverlapping: db.prepare<[{ account: string; kind: string; from: number; to: number }], SessionRow>(
        `SELECT * FROM sessions WHERE account = @account AND kind = @kind AND start < @to
         AND ("end" > @from OR ("end" = start AND start >= @from)) ORDER BY start, id`,
      ),
      changedSessions: db.prepare<[number], SessionRow>(`SELECT * FROM sessions WHERE seq > ? ORDER BY seq`),
      getAccount: db.prepare<[string], { name: string; profile_id: string | null; timezone: string | null }>(
        `SELECT name, profile_id, timezone FROM accounts WHERE name = ?`,
      ),
      putAccount: db.prepare<[string, string | null, string | null]>(
        `INSERT INTO accounts (name, profile_id, timezone) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET profile_id = excluded.profile_id, timezone = excluded.timezone`,
      ),
      accounts: db.prepare<[], { name: string; profile_id: string | null; timezone: string | null }>(
        `SELECT name, profile_id, timezone FROM accounts ORDER BY name`,
      ),
      putRawPage: db.prepare<[string, string, string, string, string, string, string, number, number, Buffer]>(
        `INSERT OR REPLACE INTO raw_pages (account, data_type, request_key, request, win_from, win_to, fetch_id, fetched_at, raw_bytes, body)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      pruneRawPages: db.prepare<[string, string, string, string, string]>(
        `DELETE FROM raw_pages WHERE account = ? AND data_type = ? AND win_from >= ? AND win_to <= ? AND fetch_id <> ?`,
      ),
      rawPagePage: db.prepare<[{ account: string; dataType: string | null; at: number; id: number }], RawPageRow>(
        `SELECT id, account, data_type, request_key, request, win_from, win_to, fetch_id, fetched_at, body FROM raw_pages
         WHERE account = @account AND (@dataType IS NULL OR data_type = @dataType) AND (fetched_at > @at OR (fetched_at = @at AND id > @id))
         ORDER BY fetched_at, id LIMIT ${PAGE_RAW}`,
      ),
      rawPageStats: db.prepare<[{ account: string | null }], { pages: number; raw: number | null; stored: number | null }>(
        `SELECT COUNT(*) AS pages, SUM(raw_bytes) AS raw, SUM(LENGTH(body)) AS stored FROM raw_pages WHERE @account IS NULL OR account = @account`,
      ),
      getState: db.prepare<[string], string>(`SELECT value FROM state WHERE key = ?`).pluck(),
      putState: db.prepare<[string, string]>(`INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
    };
  }

  // ---- errors and transactions ------------------------------------------------------------------

  private mapError(e: unknown): unknown {
    if (e instanceof StoreFullError) return e;
    const code = sqliteCode(e);
    if (code === undefined) return e;
    if (code === 'SQLITE_FULL') return new StoreFullError(this.path, e);
    if (code.startsWith('SQLITE_IOERR') && this.lowOnSpace()) return new StoreFullError(this.path, e);
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      const err = new Error(
        `the store ${this.path} is busy: another process kept it locked for longer than the busy timeout (${(e as Error).message}). Try again when the other fitbit-bridge command has finished.`,
      );
      (err as { cause?: unknown }).cause = e;
      (err as { code?: string }).code = code;
      return err;
    }
    return e;
  }

  private lowOnSpace(): boolean {
    try {
      const s = statfsSync(dirname(this.path));
      return s.bavail * s.bsize < LOW_SPACE_BYTES;
    } catch {
      return false;
    }
  }

  private checkWritable(): void {
    if (this.closed) throw new Error(`the store ${this.path} is closed`);
    if (this.readonly) throw new Error(`the store ${this.path} is open read-only`);
  }

  write<T>(fn: () => T): T {
    this.checkWritable();
    const db = this.db;
    if (this.depth > 0) {
      const sp = `fb_sp_${this.depth}`;
      db.exec(`SAVEPOINT ${sp}`);
      this.depth++;
      try {
        const r = fn();
        if (db.inTransaction) db.exec(`RELEASE ${sp}`);
        return r;
      } catch (e) {
        if (db.inTransaction) {
          try {
            db.exec(`ROLLBACK TO ${sp}`);
            db.exec(`RELEASE ${sp}`);
          } catch {
            /* the outer transaction is gone; the outer write() reports it */
          }
        }
        this.forgetCaches();
        throw this.mapError(e);
      } finally {
        this.depth--;
      }
    }
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      throw this.mapError(e);
    }
    this.depth = 1;
    try {
      const r = fn();
      if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
        throw new Error('Store.write(fn): fn must be synchronous (it returned a promise); the transaction was rolled back');
      }
      db.exec('COMMIT');
      return r;
    } catch (e) {
      if (db.inTransaction) {
        try {
          db.exec('ROLLBACK');
        } catch {
          /* already rolled back by SQLite */
        }
      }
      this.forgetCaches();
      throw this.mapError(e);
    } finally {
      this.depth = 0;
    }
  }

  private forgetCaches(): void {
    // Series created in a rolled-back transaction no longer exist.
    this.seriesIds.clear();
    this.seriesKeys.clear();
  }

  private nextSeq(): number {
    return this.st.nextSeq.get()!.value;
  }

  // ---- series -----------------------------------------------------------------------------------

  private seriesId(key: SeriesKey, create: boolean): number | undefined {
    const k = `${key.account}\u0000${key.metric}\u0000${key.source}`;
    const cached = this.seriesIds.get(k);
    if (cached !== undefined) return cached;
    const row = this.st.getSeries.get(key.account, key.metric, key.source);
    let id: number;
    if (row) id = row.id;
    else if (create) {
      if (typeof key.account !== 'string' || key.account === '') throw new Error(`store: series ${seriesLabel(key)}: account must be a non-empty string`);
      if (!isMetricId(key.metric))
        throw new Error(`store: series ${seriesLabel(key)}: unknown metric id ${JSON.stringify(key.metric)} (see src/metrics/registry.ts)`);
      if (typeof key.source !== 'string' || key.source === '') throw new Error(`store: series ${seriesLabel(key)}: source must be a non-empty string`);
      id = Number(this.st.insertSeries.run(key.account, key.metric, key.source).lastInsertRowid);
    } else return undefined;
    this.seriesIds.set(k, id);
    this.seriesKeys.set(id, { account: key.account, metric: key.metric, source: key.source });
    return id;
  }

  private keyOf(id: number): SeriesKey {
    let key = this.seriesKeys.get(id);
    if (!key) {
      const row = this.st.seriesById.get(id);
      if (!row) throw new Error(`store: unknown series id ${id}`);
      key = { account: row.account, metric: row.metric as SeriesKey['metric'], source: row.source };
      this.seriesKeys.set(id, key);
    }
    return { ...key };
  }

  // ---- samples ----------------------------------------------------------------------------------

  /**
   * Validates samples, sorts them by instant (stable) and drops duplicate instants (last wins).
   * Returns sorted columns. -0 becomes 0.
   */
  private sortedColumns(where: string, samples: readonly Sample[]): Columns {
    const n = samples.length;
    const t = new Float64Array(n);
    const off = new Int32Array(n);
    const v = new Float64Array(n);
    let sorted = true;
    let prev = -Infinity;
    for (let i = 0; i < n; i++) {
      const s = samples[i]!;
      const ti = s.t;
      const oi = s.offset;
      const vi = s.v;
      if (!Number.isSafeInteger(ti)) throw new Error(`${where}: sample ${i}: expected t to be an integer number of ms since the epoch, got ${ti}`);
      if (!Number.isInteger(oi) || oi > MAX_OFFSET_MIN || oi < -MAX_OFFSET_MIN) {
        throw new Error(`${where}: sample ${i} at ${new Date(ti).toISOString()}: expected offset in whole minutes within ±${MAX_OFFSET_MIN}, got ${oi}`);
      }
      if (typeof vi !== 'number' || !Number.isFinite(vi))
        throw new Error(`${where}: sample ${i} at ${new Date(ti).toISOString()}: expected a finite number as value, got ${vi}`);
      t[i] = ti;
      off[i] = oi;
      v[i] = vi === 0 ? 0 : vi;
      if (ti < prev) sorted = false;
      prev = ti;
    }
    let order: Uint32Array | undefined;
    if (!sorted) {
      order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => t[a]! - t[b]! || a - b);
    }
    const st = sorted ? t : new Float64Array(n);
    const so = sorted ? off : new Int32Array(n);
    const sv = sorted ? v : new Float64Array(n);
    let m = 0;
    for (let j = 0; j < n; j++) {
      const i = order ? order[j]! : j;
      const ti = t[i]!;
      if (m > 0 && st[m - 1] === ti) {
        so[m - 1] = off[i]!;
        sv[m - 1] = v[i]!;
      } else {
        st[m] = ti;
        so[m] = off[i]!;
        sv[m] = v[i]!;
        m++;
      }
    }
    return { n: m, t: st, offset: so, v: sv };
  }

  writeSamples(key: SeriesKey, samples: readonly Sample[], opts: WriteOptions): WriteResult {
    const res = newResult();
    const where = `writeSamples(${seriesLabel(key)})`;
    if (!opts || typeof opts.exportMs !== 'number' || !Number.isFinite(opts.exportMs)) {
      throw new Error(`${where}: expected opts.exportMs to be a finite number (UTC ms), got ${opts?.exportMs}`);
    }
    this.checkWritable();
    if (samples.length === 0) return res;
    const c = this.sortedColumns(where, samples);
    return this.write(() => {
      const sid = this.seriesId(key, true)!;
      let a = 0;
      while (a < c.n) {
        const day = utcDay(c.t[a]!);
        const end = dayStart(day + 1);
        let b = a + 1;
        while (b < c.n && c.t[b]! < end) b++;
        this.mergeDay(sid, day, c, a, b, opts.exportMs, res);
        a = b;
      }
      return res;
    });
  }

  private mergeDay(sid: number, day: number, c: Columns, a: number, b: number, exportMs: number, res: WriteResult): void {
    const row = this.st.getBlock.get(sid, day);
    if (!row) {
      const cols: Columns = { n: b - a, t: c.t.subarray(a, b), offset: c.offset.subarray(a, b), v: c.v.subarray(a, b) };
      const data = encodeColumns(cols);
      this.st.insertBlock.run(sid, day, this.nextSeq(), b - a, c.t[a]!, c.t[b - 1]!, exportMs, data);
      this.st.deleteTombstone.run(sid, day);
      res.added += b - a;
      return;
    }
    const e = decodeColumns(row.data);
    const newer = exportMs >= row.export_ms;
    const cap = e.n + (b - a);
    const ot = new Float64Array(cap);
    const oo = new Int32Array(cap);
    const ov = new Float64Array(cap);
    const et = e.t,
      eo = e.offset,
      ev = e.v,
      ct = c.t,
      co = c.offset,
      cv = c.v;
    let i = 0,
      j = a,
      k = 0,
      changed = false;
    const en = e.n;
    while (i < en || j < b) {
      if (j >= b || (i < en && et[i]! < ct[j]!)) {
        ot[k] = et[i]!;
        oo[k] = eo[i]!;
        ov[k] = ev[i]!;
        i++;
      } else if (i >= en || ct[j]! < et[i]!) {
        ot[k] = ct[j]!;
        oo[k] = co[j]!;
        ov[k] = cv[j]!;
        j++;
        res.added++;
        changed = true;
      } else {
        if (ev[i] === cv[j] && eo[i] === co[j]) {
          res.unchanged++;
          ot[k] = et[i]!;
          oo[k] = eo[i]!;
          ov[k] = ev[i]!;
        } else if (newer) {
          res.changed++;
          changed = true;
          ot[k] = ct[j]!;
          oo[k] = co[j]!;
          ov[k] = cv[j]!;
        } else {
          res.keptNewer++;
          ot[k] = et[i]!;
          oo[k] = eo[i]!;
          ov[k] = ev[i]!;
        }
        i++;
        j++;
      }
      k++;
    }
    if (!changed) return;
    const data = encodeColumns({ n: k, t: ot, offset: oo, v: ov });
    this.st.updateBlock.run(this.nextSeq(), k, ot[0]!, ot[k - 1]!, Math.max(row.export_ms, exportMs), data, sid, day);
  }

  removeMatching(key: SeriesKey, samples: readonly Sample[], tolerance: number): number {
    const where = `removeMatching(${seriesLabel(key)})`;
    if (typeof tolerance !== 'number' || !(tolerance >= 0) || !Number.isFinite(tolerance)) {
      throw new Error(`${where}: expected a finite tolerance >= 0, got ${tolerance}`);
    }
    this.checkWritable();
    if (samples.length === 0) return 0;
    // Sort (t, v) pairs; several probes may share an instant, so keep them all.
    const n = samples.length;
    const rt = new Float64Array(n);
    const rv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = samples[i]!;
      if (!Number.isFinite(s.t)) throw new Error(`${where}: sample ${i}: expected a finite instant, got ${s.t}`);
      rt[i] = s.t;
      rv[i] = s.v;
    }
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((x, y) => rt[x]! - rt[y]!);
    const pt = new Float64Array(n);
    const pv = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      pt[j] = rt[order[j]!]!;
      pv[j] = rv[order[j]!]!;
    }
    return this.write(() => {
      const sid = this.seriesId(key, false);
      if (sid === undefined) return 0;
      let removed = 0;
      let a = 0;
      while (a < n) {
        const day = utcDay(pt[a]!);
        const end = dayStart(day + 1);
        let b = a + 1;
        while (b < n && pt[b]! < end) b++;
        removed += this.removeInDay(sid, day, pt, pv, a, b, tolerance);
        a = b;
      }
      return removed;
    });
  }

  private removeInDay(sid: number, day: number, pt: Float64Array, pv: Float64Array, a: number, b: number, tol: number): number {
    const row = this.st.getBlock.get(sid, day);
    if (!row) return 0;
    const e = decodeColumns(row.data);
    const keep = new Uint8Array(e.n).fill(1);
    let removed = 0;
    let j = a;
    for (let i = 0; i < e.n && j < b; i++) {
      const ti = e.t[i]!;
      while (j < b && pt[j]! < ti) j++;
      for (let q = j; q < b && pt[q] === ti; q++) {
        const v = pv[q]!;
        if (Math.abs(e.v[i]! - v) <= tol) {
          keep[i] = 0;
          removed++;
          break;
        }
      }
    }
    if (removed === 0) return 0;
    const m = e.n - removed;
    const seq = this.nextSeq();
    if (m === 0) {
      this.st.deleteBlock.run(sid, day);
      this.st.putTombstone.run(sid, day, seq);
      return removed;
    }
    const ot = new Float64Array(m);
    const oo = new Int32Array(m);
    const ov = new Float64Array(m);
    let k = 0;
    for (let i = 0; i < e.n; i++) {
      if (keep[i] === 0) continue;
      ot[k] = e.t[i]!;
      oo[k] = e.offset[i]!;
      ov[k] = e.v[i]!;
      k++;
    }
    const data = encodeColumns({ n: m, t: ot, offset: oo, v: ov });
    this.st.updateBlock.run(seq, m, ot[0]!, ot[m - 1]!, row.export_ms, data, sid, day);
    return removed;
  }

  /**
   * Streams block by block. Blocks are fetched a few at a time with keyset paging rather than
   * through one open statement iterator: better-sqlite3 forbids any write on the connection while
   * an iterator is open, and consumers may write (cursors, state) while they iterate.
   */
  *iterateSamples(key: SeriesKey, from = -Infinity, to = Infinity): Generator<Sample, void, undefined> {
    if (!(from < to)) return;
    const sid = this.seriesId(key, false);
    if (sid === undefined) return;
    let lo = Number.isFinite(from) ? utcDay(from) : -Number.MAX_VALUE;
    const hi = Number.isFinite(to) ? utcDay(Math.ceil(to) - 1) : Number.MAX_VALUE;
    for (;;) {
      const rows = this.st.blockPage.all(sid, lo, hi);
      for (const row of rows) {
        const c = decodeColumns(row.data);
        const { t, offset, v } = c;
        for (let i = 0; i < c.n; i++) {
          const ti = t[i]!;
          if (ti < from) continue;
          if (ti >= to) break;
          yield { t: ti, offset: offset[i]!, v: v[i]! };
        }
      }
      if (rows.length < PAGE_BLOCKS) return;
      lo = rows[rows.length - 1]!.day + 1;
    }
  }

  readDay(key: SeriesKey, day: number): Sample[] {
    const sid = this.seriesId(key, false);
    if (sid === undefined) return [];
    const row = this.st.getBlock.get(sid, day);
    if (!row) return [];
    const c = decodeColumns(row.data);
    const out: Sample[] = new Array<Sample>(c.n);
    for (let i = 0; i < c.n; i++) out[i] = { t: c.t[i]!, offset: c.offset[i]!, v: c.v[i]! };
    return out;
  }

  readDayColumns(key: SeriesKey, day: number): SampleColumns {
    const sid = this.seriesId(key, false);
    const row = sid === undefined ? undefined : this.st.getBlock.get(sid, day);
    if (!row) return { n: 0, t: new Float64Array(0), offset: new Int32Array(0), v: new Float64Array(0) };
    return decodeColumns(row.data);
  }

  listSeries(filter: Partial<SeriesKey> = {}): SeriesInfo[] {
    const cond: string[] = [];
    const args: string[] = [];
    if (filter.account !== undefined) {
      cond.push('s.account = ?');
      args.push(filter.account);
    }
    if (filter.metric !== undefined) {
      cond.push('s.metric = ?');
      args.push(filter.metric);
    }
    if (filter.source !== undefined) {
      cond.push('s.source = ?');
      args.push(filter.source);
    }
    const sql = `SELECT s.id AS id, s.account AS account, s.metric AS metric, s.source AS source,
        COALESCE(SUM(b.n), 0) AS count, MIN(b.t_first) AS first, MAX(b.t_last) AS last
      FROM series s LEFT JOIN blocks b ON b.series_id = s.id
      ${cond.length ? `WHERE ${cond.join(' AND ')}` : ''}
      GROUP BY s.id ORDER BY s.account, s.metric, s.source`;
    let stmt = this.listSeriesStmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<string[], ListSeriesRow>(sql);
      this.listSeriesStmts.set(sql, stmt);
    }
    const rows = stmt.all(...args);
    return rows.map((r) => ({
      id: r.id,
      account: r.account,
      metric: r.metric as SeriesKey['metric'],
      source: r.source,
      count: r.count,
      first: r.first,
      last: r.last,
    }));
  }

  days(key: SeriesKey): number[] {
    const sid = this.seriesId(key, false);
    if (sid === undefined) return [];
    return this.st.days.all(sid);
  }

  // ---- sessions ---------------------------------------------------------------------------------

  upsertSession(s: SessionRecord): boolean {
    const where = `upsertSession(${s?.account}/${s?.kind}/${s?.source}/${s?.layer}@${s?.start})`;
    if (typeof s.account !== 'string' || s.account === '') throw new Error(`${where}: expected a non-empty account`);
    if (!SESSION_KINDS.has(s.kind)) throw new Error(`${where}: expected kind sleep or exercise, got ${JSON.stringify(s.kind)}`);
    if (typeof s.source !== 'string') throw new Error(`${where}: expected source to be a string`);
    if (!LAYERS.has(s.layer)) throw new Error(`${where}: expected layer takeout-json, takeout-csv or api, got ${JSON.stringify(s.layer)}`);
    for (const [name, x] of [
      ['start', s.start],
      ['end', s.end],
    ] as const) {
      if (!Number.isSafeInteger(x)) throw new Error(`${where}: expected ${name} to be an integer number of ms, got ${x}`);
    }
    if (s.end < s.start) throw new Error(`${where}: end ${s.end} is before start ${s.start}`);
    for (const [name, x] of [
      ['startOffset', s.startOffset],
      ['endOffset', s.endOffset],
    ] as const) {
      if (!Number.isInteger(x) || Math.abs(x) > MAX_OFFSET_MIN) throw new Error(`${where}: expected ${name} in whole minutes, got ${x}`);
    }
    const segments = s.segments ?? [];
    for (const [i, g] of segments.entries()) {
      if (!Number.isFinite(g.start) || !Number.isFinite(g.end) || !STAGES.has(g.stage)) {
        throw new Error(`${where}: segment ${i}: expected {start, end, stage} with a known stage, got ${JSON.stringify(g)}`);
      }
    }
    const values = {
      account: s.account,
      kind: s.kind,
      source: s.source,
      layer: s.layer,
      version: s.version ?? '',
      start: s.start,
      start_offset: s.startOffset,
      end: s.end,
      end_offset: s.endOffset,
      external_id: s.externalId ?? null,
      main_sleep: s.mainSleep === undefined || s.mainSleep === null ? null : s.mainSleep ? 1 : 0,
      segments: JSON.stringify(segments.map((g) => ({ start: g.start, end: g.end, stage: g.stage }))),
      details: canonicalJson(s.details ?? {}),
    };
    return this.write(() => {
      const row = this.st.getSession.get(s.account, s.kind, s.source, s.layer, values.version, s.start);
      if (
        row &&
        row.start_offset === values.start_offset &&
        row.end === values.end &&
        row.end_offset === values.end_offset &&
        row.external_id === values.external_id &&
        row.main_sleep === values.main_sleep &&
        row.segments === values.segments &&
        row.details === values.details
      ) {
        return false;
      }
      const seq = this.nextSeq();
      if (row) this.st.updateSession.run({ ...values, seq, id: row.id });
      else this.st.insertSession.run({ ...values, seq });
      return true;
    });
  }

  private toSession(r: SessionRow): StoredSession {
    return {
      id: r.id,
      seq: r.seq,
      account: r.account,
      kind: r.kind as SessionKind,
      source: r.source,
      layer: r.layer as SessionLayer,
      version: r.version ?? '',
      start: r.start,
      startOffset: r.start_offset,
      end: r.end,
      endOffset: r.end_offset,
      externalId: r.external_id,
      mainSleep: r.main_sleep === null ? null : r.main_sleep !== 0,
      segments: JSON.parse(r.segments) as SessionSegment[],
      details: JSON.parse(r.details) as Record<string, unknown>,
    };
  }

  private overlapping(account: string, kind: string, from: number, to: number): SessionRow[] {
    const lo = clampBound(from);
    const hi = clampBound(to);
    // start < to AND (end > from OR (zero-length session at/after from))
    return this.st.sessionsOverlapping.all({ account, kind, from: lo, to: hi });
  }

  deleteSession(id: number): boolean {
    return this.write(() => this.st.deleteSession.run(id).changes > 0);
  }

  sleepVersion(): SleepVersionPreference {
    if (this.sleepPref !== null) return this.sleepPref;
    const v = this.st.getState.get(STATE_KEYS.sleepVersion);
    return isSleepVersionPreference(v) ? v : DEFAULT_SLEEP_VERSION;
  }

  setSleepVersion(pref: SleepVersionPreference): boolean {
    if (!isSleepVersionPreference(pref)) throw new Error(`setSleepVersion: expected newest or legacy, got ${JSON.stringify(pref)}`);
    const before = this.sleepVersion();
    if (this.readonly) {
      this.sleepPref = pref;
      return before !== pref;
    }
    this.sleepPref = null;
    const stored = this.st.getState.get(STATE_KEYS.sleepVersion);
    if (stored === pref) return false;
    this.write(() => {
      this.st.putState.run(STATE_KEYS.sleepVersion, pref);
      // another version of each physical sleep counts now: sinks re-send every night
      if (before !== pref) for (const id of this.st.sleepSessionIds.all()) this.st.setSessionSeq.run(this.nextSeq(), id);
    });
    return before !== pref;
  }

  sessions(account: string, kind: SessionKind, from = -Infinity, to = Infinity, opts: { resolve?: boolean } = {}): StoredSession[] {
    const rows = this.overlapping(account, kind, from, to);
    const resolve = opts.resolve ?? true;
    if (!resolve || rows.length === 0) return rows.map((r) => this.toSession(r));
    if (kind === 'sleep') return this.chosenSleeps(account, rows, from, to);
    // Compare against every session that overlaps any of these, even outside [from, to).
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of rows) {
      if (r.start < lo) lo = r.start;
      if (r.end > hi) hi = r.end;
    }
    const ext = lo < from || hi > to ? this.overlapping(account, kind, lo, hi === lo ? hi + 1 : hi) : rows;
    let maxDur = 0;
    for (const o of ext) maxDur = Math.max(maxDur, o.end - o.start);
    const overlaps = (x: SessionRow, y: SessionRow): boolean => x.start === y.start || (x.start < y.end && y.start < x.end);
    const out: StoredSession[] = [];
    for (const r of rows) {
      const rank = LAYER_RANK[r.layer as SessionLayer] ?? 0;
      let hidden = false;
      // ext is sorted by start: candidates have start in [r.start - maxDur, r.end].
      let i = lowerBound(ext, r.start - maxDur);
      for (; i < ext.length; i++) {
        const o = ext[i]!;
        if (o.start > r.end || (o.start === r.end && r.end !== r.start)) break;
        if ((LAYER_RANK[o.layer as SessionLayer] ?? 0) > rank && overlaps(o, r)) {
          hidden = true;
          break;
        }
      }
      if (!hidden) out.push(this.toSession(r));
    }
    return out;
  }

  // ---- change sequence --------------------------------------------------------------------------

  /** The chosen sleeps among `rows` (one version per physical sleep; src/reconcile/sleep.ts). */
  private chosenSleeps(account: string, rows: SessionRow[], from: number, to: number): StoredSession[] {
    // every session within two days of these, so that groups and the local days' main sleeps are whole
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of rows) {
      if (r.start < lo) lo = r.start;
      if (r.end > hi) hi = r.end;
    }
    const ext = this.overlapping(account, 'sleep', lo - 2 * DAY_MS, hi + 2 * DAY_MS).map((r) => this.toSession(r));
    const lowF = clampBound(from);
    const highT = clampBound(to);
    return chooseSleeps(ext, this.sleepVersion()).chosen.filter((s) => s.start < highT && (s.end > lowF || (s.end === s.start && s.start >= lowF)));
  }

  currentSeq(): number {
    return this.st.currentSeq.get()?.value ?? 0;
  }

  *changedBlocks(sinceSeq: number): Generator<ChangedBlock, void, undefined> {
    let since = sinceSeq;
    for (;;) {
      const rows = this.st.changedPage.all({ since, limit: PAGE_CHANGES });
      for (const r of rows) yield { seriesId: r.series_id, key: this.keyOf(r.series_id), day: r.day, seq: r.seq };
      if (rows.length < PAGE_CHANGES) return;
      since = rows[rows.length - 1]!.seq;
    }
  }

  changedSessions(sinceSeq: number): StoredSession[] {
    return this.st.changedSessions.all(sinceSeq).map((r) => this.toSession(r));
  }

  // ---- accounts and state -----------------------------------------------------------------------

  getAccount(name: string): AccountInfo | null {
    const r = this.st.getAccount.get(name);
    return r ? { name: r.name, profileId: r.profile_id, timezone: r.timezone } : null;
  }

  setAccount(info: AccountInfo): void {
    if (typeof info.name !== 'string' || info.name === '') throw new Error('setAccount: expected a non-empty account name');
    this.write(() => {
      this.st.putAccount.run(info.name, info.profileId ?? null, info.timezone ?? null);
    });
  }

  accounts(): AccountInfo[] {
    return this.st.accounts.all().map((r) => ({ name: r.name, profileId: r.profile_id, timezone: r.timezone }));
  }

  getState(key: string): string | null {
    return this.st.getState.get(key) ?? null;
  }

  setState(key: string, value: string): void {
    if (typeof value !== 'string') throw new Error(`setState(${key}): expected a string value`);
    this.write(() => {
      this.st.putState.run(key, value);
    });
  }

  // ---- raw API pages ----------------------------------------------------------------------------

  putRawPage(p: RawPage): void {
    const where = `putRawPage(${p?.account}/${p?.dataType})`;
    if (typeof p.account !== 'string' || p.account === '') throw new Error(`${where}: expected a non-empty account`);
    if (typeof p.dataType !== 'string' || p.dataType === '') throw new Error(`${where}: expected a data type`);
    if (typeof p.requestKey !== 'string' || p.requestKey === '') throw new Error(`${where}: expected a request key`);
    if (!Number.isSafeInteger(p.fetchedAt)) throw new Error(`${where}: expected fetchedAt in integer ms, got ${p.fetchedAt}`);
    if (typeof p.body !== 'string' || typeof p.request !== 'string') throw new Error(`${where}: expected request and body text`);
    if (typeof p.windowFrom !== 'string' || typeof p.windowTo !== 'string' || typeof p.fetchId !== 'string')
      throw new Error(`${where}: expected windowFrom, windowTo and fetchId`);
    const raw = Buffer.from(p.body, 'utf8');
    const data = deflateRawSync(raw, { level: 6 });
    this.write(() => {
      failpoint('rawpage.mid-write');
      this.st.putRawPage.run(p.account, p.dataType, p.requestKey, p.request, p.windowFrom, p.windowTo, p.fetchId, p.fetchedAt, raw.length, data);
    });
  }

  pruneRawPages(account: string, dataType: string, from: string, to: string, keepFetchId: string): number {
    return this.write(() => this.st.pruneRawPages.run(account, dataType, from, to, keepFetchId).changes);
  }

  /** Keyset paging (not an open iterator): consumers write while they iterate (rebuild). */
  *rawPages(account: string, dataType?: string): Generator<RawPage, void, undefined> {
    let at = -Number.MAX_VALUE;
    let id = -1;
    for (;;) {
      const rows = this.st.rawPagePage.all({ account, dataType: dataType ?? null, at, id });
      for (const r of rows) {
        yield {
          account: r.account,
          dataType: r.data_type,
          requestKey: r.request_key,
          request: r.request,
          windowFrom: r.win_from,
          windowTo: r.win_to,
          fetchId: r.fetch_id,
          fetchedAt: r.fetched_at,
          body: inflateRawSync(r.body).toString('utf8'),
        };
      }
      if (rows.length < PAGE_RAW) return;
      const last = rows[rows.length - 1]!;
      at = last.fetched_at;
      id = last.id;
    }
  }

  rawPageStats(account?: string): RawPageStats {
    const r = this.st.rawPageStats.get({ account: account ?? null });
    return { pages: r?.pages ?? 0, rawBytes: r?.raw ?? 0, storedBytes: r?.stored ?? 0 };
  }

  // ---- files ------------------------------------------------------------------------------------

  diskBytes(): number {
    let total = 0;
    for (const p of [this.path, `${this.path}-wal`]) {
      try {
        total += statSync(p).size;
      } catch {
        /* no such file */
      }
    }
    return total;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.readonly && this.db.open) {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        /* another connection is busy; SQLite checkpoints later */
      }
    }
    this.db.close();
  }
}

function lowerBound(rows: readonly SessionRow[], start: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]!.start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Opens (creating if needed) the store at `path`, applying schema migrations. */
export function openStore(path: string, opts: OpenStoreOptions = {}): Store {
  return new SqliteStore(path, opts);
}

export { StoreFullError };
