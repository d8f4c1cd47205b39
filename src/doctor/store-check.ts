/**
 * Doctor check `store`: the SQLite store opens read-only (beside a running `run`: WAL readers do
 * not block it), `PRAGMA quick_check` passes, it is a fitbit-bridge store, its schema version is
 * one this build knows, and how large it and its WAL are.
 *
 * - no store file yet: warn (nothing imported or synced yet);
 * - not a file / cannot open / quick_check fails / not a fitbit-bridge store: problem;
 * - schema newer than this build: problem (update fitbit-bridge); older: warn (migrated by the
 *   next command that writes);
 * - WAL above 256 MiB: warn (something keeps the WAL from being checkpointed: a long-running
 *   reader; restarting `run` checkpoints it).
 */
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../store/schema.js';
import type { CheckContext, CheckResult } from './types.js';
import { errDetail, fmtBytes } from './types.js';

const WAL_WARN_BYTES = 256 * 1024 * 1024;
const REQUIRED_TABLES = ['series', 'blocks', 'sessions', 'state', 'accounts'];

function sizeOf(p: string): number | null {
  try {
    return statSync(p).size;
  } catch {
    return null;
  }
}

export function checkStore(ctx: CheckContext): CheckResult {
  const path = ctx.config.store.path;
  const base = { id: 'store', name: 'store' } as const;
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return {
        ...base,
        status: 'warn',
        detail: `no store at ${path} yet`,
        fix: 'Import data (fitbit-bridge import-takeout <path>) or sync (fitbit-bridge sync); or point --db / store.path / FITBIT_BRIDGE_DB at the existing store',
        data: { path, exists: false },
      };
    }
    return {
      ...base,
      status: 'problem',
      detail: `cannot read ${path}: ${errDetail(e)}`,
      fix: "Check the store file's permissions (it must be readable and writable by the user running fitbit-bridge)",
      data: { path },
    };
  }
  if (!st.isFile()) {
    return { ...base, status: 'problem', detail: `${path} is not a file`, fix: 'Point store.path (or --db) at a file', data: { path } };
  }
  const bytes = st.size;
  const walBytes = sizeOf(`${path}-wal`) ?? 0;
  const data: Record<string, unknown> = { path, bytes, walBytes };
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
    const check = db.pragma('quick_check', { simple: false }) as { quick_check: string }[];
    const lines = check.map((r) => String(r.quick_check));
    data.quickCheck = lines.slice(0, 10);
    const version = Number(db.pragma('user_version', { simple: true }));
    data.schemaVersion = version;
    data.knownSchemaVersion = SCHEMA_VERSION;
    if (!(lines.length === 1 && lines[0] === 'ok')) {
      return {
        ...base,
        status: 'problem',
        data,
        detail: `${path}: PRAGMA quick_check found damage: ${lines.slice(0, 3).join('; ')}${lines.length > 3 ? ` (+${lines.length - 3} more)` : ''}`,
        fix: 'Stop fitbit-bridge, keep a copy of the file, and rebuild the store: re-import the Takeout exports and sync again into a new store (fitbit-bridge rebuild --into <new file> re-derives the API data)',
      };
    }
    const tables = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]);
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
    if (version === 0 || missing.length > 0) {
      return {
        ...base,
        status: 'problem',
        data,
        detail: `${path} is not a fitbit-bridge store (schema version ${version}${missing.length > 0 ? `, no table ${missing.join(', ')}` : ''})`,
        fix: 'Point store.path (or --db) at the fitbit-bridge store, or at a new file',
      };
    }
    const size = `${fmtBytes(bytes)} + WAL ${fmtBytes(walBytes)}`;
    if (version > SCHEMA_VERSION) {
      return {
        ...base,
        status: 'problem',
        data,
        detail: `${path}: schema version ${version} is newer than this fitbit-bridge knows (${SCHEMA_VERSION})`,
        fix: 'Update fitbit-bridge to the version that wrote this store',
      };
    }
    if (version < SCHEMA_VERSION) {
      return {
        ...base,
        status: 'warn',
        data,
        detail: `${path}: schema version ${version}, this build uses ${SCHEMA_VERSION}; ${size}`,
        fix: 'Nothing to do by hand: the next command that writes (run, sync, import-takeout) migrates it; read-only commands (stats, dump) refuse until then',
      };
    }
    if (walBytes > WAL_WARN_BYTES) {
      return {
        ...base,
        status: 'warn',
        data,
        detail: `${path}: quick_check ok, schema ${version}, ${size}: the WAL is large (it is not being checkpointed)`,
        fix: 'Restart fitbit-bridge run (closing checkpoints the WAL); look for a process that keeps the store open for reading for a long time',
      };
    }
    return { ...base, status: 'ok', detail: `${path}: quick_check ok, schema ${version}, ${size}`, data };
  } catch (e) {
    return {
      ...base,
      status: 'problem',
      data,
      detail: `cannot open ${path} read-only: ${errDetail(e)}`,
      fix: 'Check that the file is a fitbit-bridge store and that you may read it (and its folder, for the -wal / -shm files)',
    };
  } finally {
    try {
      db?.close();
    } catch {
      /* ignore */
    }
  }
}
