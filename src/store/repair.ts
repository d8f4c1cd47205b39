/**
 * Schema migration 4: repairs stores whose legacy-layer samples were stored beside the Google
 * layer's sample of the same measurement by older versions (which matched the layers only when
 * the values were within the metric's tolerance, and daily values and weigh-ins only at the same
 * instant). The rules of src/reconcile/samples.ts are applied to every (account, metric) that has
 * a legacy series, through a small raw access to the database being migrated (the SqliteStore is
 * not open yet); every changed day block takes a new change sequence number (and an emptied one a
 * tombstone), so the sinks re-deliver the days. What was merged is recorded per account in the
 * state table (STATE_KEYS.samplesMerged, `repair`), where `stats` reads it.
 */
import type Database from 'better-sqlite3';
import { isMetricId, type MetricId } from '../metrics/registry.js';
import { addCounts, emptyCounts } from '../reconcile/samples.js';
import { mergedStateText, parseMergedState, reconcileStored, type SampleAccess } from '../reconcile/samples-store.js';
import { utcDay } from '../time/index.js';
import { decodeColumns, encodeColumns } from './codec.js';
import { STATE_KEYS } from './state-keys.js';
import type { ListSeriesRow } from './store.js';
import { LEGACY_JSON_SOURCE, type Sample, type SampleColumns, type SeriesInfo, type SeriesKey } from './types.js';

type SeriesRow = ListSeriesRow;

/** The store methods the rules need, on the raw database (inside the migration's transaction). */
class RawAccess implements SampleAccess {
  constructor(private readonly db: Database.Database) {}

  private id(key: SeriesKey): number | undefined {
    const r = this.db
      .prepare<[string, string, string], { id: number }>(`SELECT id FROM series WHERE account = ? AND metric = ? AND source = ?`)
      .get(key.account, key.metric, key.source);
    return r?.id;
  }

  listSeries(filter: Partial<SeriesKey> = {}): SeriesInfo[] {
    const rows = this.db
      .prepare<[{ account: string | null; metric: string | null; source: string | null }], SeriesRow>(
        `SELECT s.id AS id, s.account AS account, s.metric AS metric, s.source AS source,
           COALESCE(SUM(b.n), 0) AS count, MIN(b.t_first) AS first, MAX(b.t_last) AS last
         FROM series s LEFT JOIN blocks b ON b.series_id = s.id
         WHERE (@account IS NULL OR s.account = @account) AND (@metric IS NULL OR s.metric = @metric) AND (@source IS NULL OR s.source = @source)
         GROUP BY s.id ORDER BY s.account, s.metric, s.source`,
      )
      .all({ account: filter.account ?? null, metric: filter.metric ?? null, source: filter.source ?? null });
    return rows.filter((r) => isMetricId(r.metric)).map((r) => ({ ...r, metric: r.metric as MetricId }));
  }

  days(key: SeriesKey): number[] {
    const id = this.id(key);
    if (id === undefined) return [];
    return this.db.prepare<[number], number>(`SELECT day FROM blocks WHERE series_id = ? ORDER BY day`).pluck().all(id);
  }

  readDayColumns(key: SeriesKey, day: number): SampleColumns {
    const id = this.id(key);
    const row =
      id === undefined
        ? undefined
        : this.db.prepare<[number, number], { data: Buffer }>(`SELECT data FROM blocks WHERE series_id = ? AND day = ?`).get(id, day);
    if (!row) return { n: 0, t: new Float64Array(0), offset: new Int32Array(0), v: new Float64Array(0) };
    return decodeColumns(row.data);
  }

  removeMatching(key: SeriesKey, samples: readonly Sample[], tolerance: number): number {
    const id = this.id(key);
    if (id === undefined || samples.length === 0) return 0;
    const byDay = new Map<number, Sample[]>();
    for (const s of samples) {
      const d = utcDay(s.t);
      const l = byDay.get(d);
      if (l) l.push(s);
      else byDay.set(d, [s]);
    }
    let removed = 0;
    for (const [day, probes] of byDay) {
      const c = this.readDayColumns(key, day);
      const keep: number[] = [];
      for (let i = 0; i < c.n; i++) {
        const t = c.t[i] as number,
          v = c.v[i] as number;
        if (probes.some((p) => p.t === t && Math.abs(p.v - v) <= tolerance)) removed++;
        else keep.push(i);
      }
      if (keep.length === c.n) continue;
      const seq = this.db.prepare<[], { value: number }>(`UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value`).get()!.value;
      if (keep.length === 0) {
        this.db.prepare(`DELETE FROM blocks WHERE series_id = ? AND day = ?`).run(id, day);
        this.db.prepare(`INSERT OR REPLACE INTO block_tombstones (series_id, day, seq) VALUES (?, ?, ?)`).run(id, day, seq);
        continue;
      }
      const m = keep.length;
      const t = new Float64Array(m),
        offset = new Int32Array(m),
        v = new Float64Array(m);
      keep.forEach((i, k) => {
        t[k] = c.t[i] as number;
        offset[k] = c.offset[i] as number;
        v[k] = c.v[i] as number;
      });
      this.db
        .prepare(`UPDATE blocks SET seq = ?, n = ?, t_first = ?, t_last = ?, data = ? WHERE series_id = ? AND day = ?`)
        .run(seq, m, t[0], t[m - 1], encodeColumns({ n: m, t, offset, v }), id, day);
    }
    return removed;
  }
}

/** The migration: every account with a legacy series is reconciled; the counts go to the state table. */
export function repairLegacyDuplicates(db: Database.Database): void {
  const access = new RawAccess(db);
  const legacy = access.listSeries({ source: LEGACY_JSON_SOURCE }).filter((s) => s.count > 0);
  const accounts = [...new Set(legacy.map((s) => s.account))];
  for (const account of accounts) {
    const counts = emptyCounts();
    for (const s of legacy) if (s.account === account) addCounts(counts, reconcileStored(access, account, s.metric));
    const key = STATE_KEYS.samplesMerged(account);
    const prev = db.prepare<[string], string>(`SELECT value FROM state WHERE key = ?`).pluck().get(key) ?? null;
    const text = mergedStateText({ ...parseMergedState(prev), repair: counts });
    db.prepare(`INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(key, text);
  }
}
