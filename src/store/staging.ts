/**
 * Staging of one Takeout file's samples while it is parsed (issue 13: bounded memory whatever the
 * size of a file). The importer hands its per-series buffers over in batches; they land in a TEMP
 * table of the store's connection, in small transactions that touch only the temp database (the
 * store's writer lock is not taken, so `run` can sync meanwhile). At the end of the file the
 * importer moves the staged samples into the store in ONE write transaction, reading them back
 * one UTC day at a time; a failed or stopped file is dropped from the staging table and nothing of
 * it reaches the store (all-or-nothing per file, as before).
 *
 * A TEMP table lives in SQLite's temporary file (SQLITE_TMPDIR / TMPDIR, else /var/tmp or /tmp;
 * `temp_store` is set to FILE for this connection), is private to the connection and disappears
 * with it: the staged rows of a crashed run are gone at the next open without any cleanup.
 *
 * Rows: one per (buffer, UTC day, batch); `data` packs the batch's samples of that day in push
 * order as three arrays (t: float64, v: float64, offset: int32).
 */
import type Database from 'better-sqlite3';
import type { Sample, Store } from './types.js';
import { SqliteStore } from './store.js';

let tables = 0;

export interface StagedRow {
  seq: number;
  samples: Sample[];
}

function pack(samples: readonly Sample[], idx: readonly number[]): Buffer {
  const n = idx.length;
  const ab = new ArrayBuffer(n * 20);
  const f = new Float64Array(ab, 0, n * 2);
  const o = new Int32Array(ab, n * 16, n);
  for (let k = 0; k < n; k++) {
    const s = samples[idx[k] as number] as Sample;
    f[k] = s.t;
    f[n + k] = s.v;
    o[k] = s.offset;
  }
  return Buffer.from(ab);
}

function unpack(data: Buffer, n: number, into: Sample[]): void {
  // copied: a blob read from SQLite need not be aligned for typed arrays
  const ab = new ArrayBuffer(n * 20);
  new Uint8Array(ab).set(data.subarray(0, n * 20));
  const f = new Float64Array(ab, 0, n * 2);
  const o = new Int32Array(ab, n * 16, n);
  for (let k = 0; k < n; k++) into.push({ t: f[k] as number, offset: o[k] as number, v: f[n + k] as number });
}

/** The staging table of one file being imported (created on the first batch). */
export class SampleStaging {
  private readonly table = `fb_import_staged_${++tables}_${process.pid}`;
  private created = false;
  private st: {
    put: Database.Statement<[number, number, number, number, Buffer]>;
    dayCount: Database.Statement<[number, number], number>;
    days: Database.Statement<[number, number, number], number>;
    rows: Database.Statement<[number, number], { seq: number; n: number; data: Buffer }>;
    count: Database.Statement<[number], number>;
  } | null = null;

  constructor(private readonly db: Database.Database) {}

  /** Whether anything was staged. */
  get used(): boolean {
    return this.created;
  }

  private ensure(): NonNullable<SampleStaging['st']> {
    if (this.st) return this.st;
    const db = this.db;
    // the temp database on disk, whatever the build's default
    db.pragma('temp_store = FILE');
    db.exec(
      `CREATE TEMP TABLE ${this.table} (buf INTEGER NOT NULL, day INTEGER NOT NULL, seq INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (buf, day, seq)) WITHOUT ROWID`,
    );
    this.created = true;
    const t = `temp.${this.table}`;
    this.st = {
      put: db.prepare(`INSERT INTO ${t} (buf, day, seq, n, data) VALUES (?, ?, ?, ?, ?)`),
      dayCount: db.prepare<[number, number], number>(`SELECT COALESCE(SUM(n), 0) FROM ${t} WHERE buf = ? AND day = ?`).pluck(),
      days: db.prepare<[number, number, number], number>(`SELECT DISTINCT day FROM ${t} WHERE buf = ? AND day > ? ORDER BY day LIMIT ?`).pluck(),
      rows: db.prepare<[number, number], { seq: number; n: number; data: Buffer }>(`SELECT seq, n, data FROM ${t} WHERE buf = ? AND day = ? ORDER BY seq`),
      count: db.prepare<[number], number>(`SELECT COALESCE(SUM(n), 0) FROM ${t} WHERE buf = ?`).pluck(),
    };
    return this.st;
  }

  /**
   * Stages one batch: for each group, the samples `idx` of `samples` (all on UTC day `day`), in
   * one transaction of the temp database. Returns the number of samples staged so far for each
   * group's (buffer, day), in the order of `groups`.
   */
  put(seq: number, groups: readonly { buf: number; day: number; samples: readonly Sample[]; idx: readonly number[] }[]): number[] {
    const st = this.ensure();
    const totals: number[] = [];
    // a deferred transaction that writes only the temp database: the store's writer lock stays free
    this.db.exec('BEGIN');
    try {
      for (const g of groups) {
        st.put.run(g.buf, g.day, seq, g.idx.length, pack(g.samples, g.idx));
        totals.push(st.dayCount.get(g.buf, g.day) ?? 0);
      }
      this.db.exec('COMMIT');
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
    return totals;
  }

  /** Samples staged for a buffer. */
  count(buf: number): number {
    return this.created ? (this.ensure().count.get(buf) ?? 0) : 0;
  }

  /** UTC days of a buffer after `after`, ascending, at most `limit`. */
  days(buf: number, after: number, limit: number): number[] {
    return this.created ? this.ensure().days.all(buf, after, limit) : [];
  }

  /** The staged batches of a buffer on one UTC day, in staging order, each with its samples in push order. */
  rows(buf: number, day: number): StagedRow[] {
    if (!this.created) return [];
    return this.ensure()
      .rows.all(buf, day)
      .map((r) => {
        const samples: Sample[] = [];
        unpack(r.data, r.n, samples);
        return { seq: r.seq, samples };
      });
  }

  /** Drops the table (after the file was written or given up). */
  dispose(): void {
    if (!this.created) return;
    this.created = false;
    this.st = null;
    try {
      if (this.db.open) this.db.exec(`DROP TABLE IF EXISTS temp.${this.table}`);
    } catch {
      /* the connection is closing; the temp table goes with it */
    }
  }
}

/** A staging area on the store's connection. */
export function sampleStaging(store: Store): SampleStaging {
  if (!(store instanceof SqliteStore)) throw new Error('sampleStaging: the store is not a SQLite store');
  return new SampleStaging(store.db);
}
