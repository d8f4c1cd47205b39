/**
 * The dump's memory between runs: `.fitbit-bridge-dump.json` in the dump root (written last,
 * atomically) and `.fitbit-bridge-dump.journal` (paths of files created by a run that has not
 * finished yet, so a crash never leaves files the next run does not know it owns).
 */
import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, keepModeOf, tempPathFor } from '../../util/private-fs.js';

export const STATE_FILE = '.fitbit-bridge-dump.json';
export const JOURNAL_FILE = '.fitbit-bridge-dump.journal';
/** Bump when the file layout or content rules change: the next run is then a full run. */
export const DUMP_LAYOUT_VERSION = 2;

/** Everything that, when changed, makes the next run a full run. */
export interface DumpSettings {
  layoutVersion: number;
  store: string;
  format: 'csv' | 'jsonl';
  from: string | null;
  to: string | null;
  metrics: string[];
  accounts: string[];
  /** dump --sleep-alternatives. */
  sleepAlternatives: boolean;
  /** The store's sleep version preference (another choice: every sleep file changes). */
  sleepVersion: string;
}

export interface DumpState {
  generator: 'fitbit-bridge';
  stateVersion: 1;
  /** Store change sequence the dump reflects (taken when the run started). */
  seq: number;
  settings: DumpSettings;
  /** Every file the dump wrote and keeps, relative to the dump root ('/'-separated) → rows. */
  files: Record<string, number>;
}

export function sameSettings(a: DumpSettings, b: DumpSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The previous state, or null when missing or unreadable (→ full run; reason logged by caller). */
export function readState(dir: string): { state: DumpState | null; problem: string | null } {
  const file = join(dir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: null, problem: null };
    return { state: null, problem: `${file}: cannot read (${(e as Error).message})` };
  }
  try {
    const s = JSON.parse(text) as Partial<DumpState> | null;
    if (
      !s ||
      s.generator !== 'fitbit-bridge' ||
      s.stateVersion !== 1 ||
      typeof s.seq !== 'number' ||
      !s.settings ||
      typeof s.settings !== 'object' ||
      !s.files ||
      typeof s.files !== 'object'
    ) {
      return { state: null, problem: `${file}: expected a fitbit-bridge dump state (stateVersion 1); ignoring it` };
    }
    return { state: s as DumpState, problem: null };
  } catch (e) {
    return { state: null, problem: `${file}: invalid JSON (${(e as Error).message}); ignoring it` };
  }
}

export function writeState(dir: string, state: DumpState): void {
  writeFileAtomic(join(dir, STATE_FILE), JSON.stringify(state) + '\n', true);
}

/** Paths listed in the journal of an unfinished run. */
export function readJournal(dir: string): string[] {
  try {
    return readFileSync(join(dir, JOURNAL_FILE), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  } catch {
    return [];
  }
}

export function appendJournal(dir: string, rel: string): void {
  appendFileSync(join(dir, JOURNAL_FILE), rel + '\n', { mode: PRIVATE_FILE_MODE });
}

export function removeJournal(dir: string): void {
  rmSync(join(dir, JOURNAL_FILE), { force: true });
}

/**
 * Writes via a temp file in the same folder, then renames (readers see the old or the new file,
 * never half of one). Day files skip fsync: a crash before the state file is written redoes them.
 * A new file is private (0600); a replaced one keeps the mode it had (src/util/private-fs.ts).
 */
export function writeFileAtomic(file: string, data: string | Buffer, fsync = false): void {
  const tmp = tempPathFor(file);
  try {
    writeFileSync(tmp, data, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    keepModeOf(file, tmp);
    if (fsync) {
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
