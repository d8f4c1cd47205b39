/**
 * Doctor check `drop-folder` (only when takeout.drop_folder is set): the folder exists and can be
 * read (problem otherwise), and no export still in it is recorded as failed by the drop-folder
 * watcher of `run` (warn, with the file and the error; src/sources/takeout/drop-folder.ts).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { STATE_KEYS } from '../store/state-keys.js';
import type { CheckContext, CheckResult } from './types.js';
import { errDetail } from './types.js';

interface FailedRecord {
  group: string;
  fingerprint: string;
  error: string;
  at: number;
}

function recordedFailures(storePath: string): FailedRecord[] {
  if (!existsSync(storePath)) return [];
  let db: Database.Database | null = null;
  try {
    db = new Database(storePath, { readonly: true, fileMustExist: true, timeout: 5000 });
    const raw = db.prepare('SELECT value FROM state WHERE key = ?').pluck().get(STATE_KEYS.dropFolder) as string | undefined;
    if (raw === undefined) return [];
    const x = JSON.parse(raw) as { failed?: FailedRecord[] };
    return Array.isArray(x.failed) ? x.failed : [];
  } catch {
    return []; // the store check reports an unreadable store
  } finally {
    try {
      db?.close();
    } catch {
      /* ignore */
    }
  }
}

export function checkDropFolder(ctx: CheckContext): CheckResult | null {
  const t = ctx.config.takeout;
  if (t.drop_folder === undefined) return null;
  const dir = resolve(t.drop_folder);
  const base = { id: 'drop-folder', name: 'takeout drop folder' } as const;
  try {
    if (!statSync(dir).isDirectory()) {
      return { ...base, status: 'problem', detail: `${dir} is not a folder`, fix: 'Point takeout.drop_folder at a folder', data: { dir } };
    }
    accessSync(dir, constants.R_OK | constants.X_OK);
  } catch (e) {
    return {
      ...base,
      status: 'problem',
      detail: `cannot read ${dir}: ${errDetail(e)}`,
      fix: 'Create the folder (or mount the share / card) and let the user running fitbit-bridge read it, or fix takeout.drop_folder',
      data: { dir },
    };
  }
  const failures = recordedFailures(ctx.config.store.path).filter((f) => {
    const names = f.fingerprint.split('|').map((p) => p.slice(0, p.lastIndexOf('=')));
    return names.length > 0 && names.every((n) => n !== '' && existsSync(join(dir, n)));
  });
  if (failures.length > 0) {
    return {
      ...base,
      status: 'warn',
      data: { dir, failed: failures.map((f) => ({ group: f.group, error: f.error, at: f.at })) },
      detail: `${failures.length} export${failures.length === 1 ? '' : 's'} in ${dir} could not be imported: ${failures
        .slice(0, 3)
        .map((f) => `${f.group}: ${f.error}`)
        .join('; ')}`,
      fix: 'Replace the file (a complete download), or fix the cause named and touch the file: the bridge tries again when it changes',
    };
  }
  return { ...base, status: 'ok', detail: `${dir} readable`, data: { dir } };
}
