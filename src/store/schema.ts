/**
 * Schema versions. `PRAGMA user_version` holds how many migrations have been applied; MIGRATIONS
 * is append-only (never edit a released migration, add a new one). openStore applies the missing
 * ones in one BEGIN IMMEDIATE transaction.
 */
import type Database from 'better-sqlite3';
import { repairLegacyDuplicates } from './repair.js';

export type Migration = (db: Database.Database) => void;

export const MIGRATIONS: readonly Migration[] = [
  // 1: initial schema
  (db) => {
    db.exec(`
      CREATE TABLE counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO counters (name, value) VALUES ('seq', 0);

      CREATE TABLE series (
        id      INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        metric  TEXT NOT NULL,
        source  TEXT NOT NULL,
        UNIQUE (account, metric, source)
      );

      -- One row per series per UTC day; data = codec.ts block (delta-encoded, deflated).
      CREATE TABLE blocks (
        series_id INTEGER NOT NULL,
        day       INTEGER NOT NULL,
        seq       INTEGER NOT NULL,
        n         INTEGER NOT NULL,
        t_first   INTEGER NOT NULL,
        t_last    INTEGER NOT NULL,
        export_ms INTEGER NOT NULL,
        data      BLOB NOT NULL,
        PRIMARY KEY (series_id, day)
      ) WITHOUT ROWID;
      CREATE INDEX blocks_seq ON blocks (seq);
      -- Covering index for listSeries / days(): block metadata without touching the blobs.
      CREATE INDEX blocks_meta ON blocks (series_id, day, n, t_first, t_last);

      -- Blocks that became empty and were deleted, so that changedBlocks reports them too.
      CREATE TABLE block_tombstones (
        series_id INTEGER NOT NULL,
        day       INTEGER NOT NULL,
        seq       INTEGER NOT NULL,
        PRIMARY KEY (series_id, day)
      ) WITHOUT ROWID;
      CREATE INDEX block_tombstones_seq ON block_tombstones (seq);

      CREATE TABLE sessions (
        id           INTEGER PRIMARY KEY,
        account      TEXT NOT NULL,
        kind         TEXT NOT NULL,
        source       TEXT NOT NULL,
        layer        TEXT NOT NULL,
        start        INTEGER NOT NULL,
        start_offset INTEGER NOT NULL,
        "end"        INTEGER NOT NULL,
        end_offset   INTEGER NOT NULL,
        external_id  TEXT,
        main_sleep   INTEGER,
        segments     TEXT NOT NULL,
        details      TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        UNIQUE (account, kind, source, layer, start)
      );
      CREATE INDEX sessions_by_start ON sessions (account, kind, start);
      CREATE INDEX sessions_seq ON sessions (seq);

      CREATE TABLE accounts (
        name       TEXT PRIMARY KEY,
        profile_id TEXT,
        timezone   TEXT
      ) WITHOUT ROWID;

      CREATE TABLE state (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `);
  },
  // 2: raw Google Health API pages (sync.keep_raw_pages), so `rebuild` re-derives without downloading
  (db) => {
    db.exec(`
      -- One row per request (account, data type, request key = hash of method, filter/range, page size, page number).
      -- A repeated request replaces its row (newer answer). win_from / win_to: the local days the request
      -- covers; fetch_id: the window fetch it belongs to (a complete newer fetch of a window supersedes the
      -- older pages inside it). body = deflate-raw of the exact response text.
      CREATE TABLE raw_pages (
        id          INTEGER PRIMARY KEY,
        account     TEXT NOT NULL,
        data_type   TEXT NOT NULL,
        request_key TEXT NOT NULL,
        request     TEXT NOT NULL,
        win_from    TEXT NOT NULL,
        win_to      TEXT NOT NULL,
        fetch_id    TEXT NOT NULL,
        fetched_at  INTEGER NOT NULL,
        raw_bytes   INTEGER NOT NULL,
        body        BLOB NOT NULL,
        UNIQUE (account, data_type, request_key)
      );
      CREATE INDEX raw_pages_order ON raw_pages (account, fetched_at, id);
      CREATE INDEX raw_pages_window ON raw_pages (account, data_type, win_from);
    `);
  },
  // 3: sessions keyed by algorithm version too (UserSleeps lists one sleep per algorithm_version,
  // often with the same sleep_id and start): column `version`, filled for stored UserSleeps rows from
  // their details; every sleep session takes a new change sequence (sinks re-send the nights with
  // one version per physical sleep, src/reconcile/sleep.ts).
  (db) => {
    db.exec(`
      CREATE TABLE sessions_v3 (
        id           INTEGER PRIMARY KEY,
        account      TEXT NOT NULL,
        kind         TEXT NOT NULL,
        source       TEXT NOT NULL,
        layer        TEXT NOT NULL,
        version      TEXT NOT NULL DEFAULT '',
        start        INTEGER NOT NULL,
        start_offset INTEGER NOT NULL,
        "end"        INTEGER NOT NULL,
        end_offset   INTEGER NOT NULL,
        external_id  TEXT,
        main_sleep   INTEGER,
        segments     TEXT NOT NULL,
        details      TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        UNIQUE (account, kind, source, layer, version, start)
      );
      INSERT INTO sessions_v3 (id, account, kind, source, layer, version, start, start_offset, "end", end_offset, external_id, main_sleep, segments, details, seq)
        SELECT id, account, kind, source, layer,
               CASE WHEN kind = 'sleep' AND layer = 'takeout-csv' AND json_valid(details)
                    THEN COALESCE(CAST(json_extract(details, '$.algorithm_version') AS TEXT), '') ELSE '' END,
               start, start_offset, "end", end_offset, external_id, main_sleep, segments, details, seq
        FROM sessions;
      DROP TABLE sessions;
      ALTER TABLE sessions_v3 RENAME TO sessions;
      CREATE INDEX sessions_by_start ON sessions (account, kind, start);
      CREATE INDEX sessions_seq ON sessions (seq);
      UPDATE sessions SET seq = (SELECT value FROM counters WHERE name = 'seq') + id WHERE kind = 'sleep';
      UPDATE counters SET value = MAX(value, COALESCE((SELECT MAX(seq) FROM sessions), 0)) WHERE name = 'seq';
    `);
  },
  // 4: repair of the same measurement stored twice by older versions (legacy layer beside the Google
  // layer / API: same instant with different values, daily values of one local day, one weigh-in),
  // with the rules of src/reconcile/samples.ts; the merged counts go to the state table (stats shows them)
  (db) => repairLegacyDuplicates(db),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class SchemaVersionError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `the store ${path} has schema version ${found}, but this version of fitbit-bridge only knows versions up to ${known}: it was written by a newer fitbit-bridge. Upgrade fitbit-bridge to use it.`,
    );
    this.name = 'SchemaVersionError';
  }
}

/**
 * Brings the database up to `migrations.length`. Throws SchemaVersionError when the file is newer.
 * `readonly`: never writes; fails when migrations would be needed.
 */
export function migrate(db: Database.Database, path: string, readonly: boolean, migrations: readonly Migration[] = MIGRATIONS): number {
  const known = migrations.length;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > known) throw new SchemaVersionError(path, current, known);
  if (current === known) return current;
  if (readonly) {
    throw new Error(
      `the store ${path} has schema version ${current} and needs migrating to ${known}; open it once without --readonly (any write command does it)`,
    );
  }
  db.exec('BEGIN IMMEDIATE');
  try {
    // Another process may have migrated while we waited for the lock.
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v > known) throw new SchemaVersionError(path, v, known);
    for (let i = v; i < known; i++) {
      migrations[i]!(db);
      db.pragma(`user_version = ${i + 1}`);
    }
    db.exec('COMMIT');
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
  return known;
}
