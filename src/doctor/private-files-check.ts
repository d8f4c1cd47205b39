/**
 * Doctor check `private-files`: the files holding health data are private. fitbit-bridge creates
 * them 0600 in 0700 folders (src/util/private-fs.ts) but never changes the mode of a file that
 * exists (a store or dump written by an older version is often 0644 in a 0755 folder), so this
 * check reports them and prints the chmod that fixes them. (Token files: the `token-files` check.)
 *
 * - the store file, its -wal and -shm: readable or writable by others: problem; by the group: warn
 *   → chmod 600;
 * - the dump folder (dump.dir, when set and present) and the files below it (at most
 *   {@link MAX_DUMP_ENTRIES} looked at; links are not followed): a file open to others: problem;
 *   to the group: warn; only the folders open (file names listed, files private): warn
 *   → chmod -R go-rwx.
 *
 * Not checked on Windows (no POSIX modes).
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CheckContext, CheckResult, CheckStatus } from './types.js';
import { errDetail, fmtMode } from './types.js';

/** Entries of the dump folder looked at, at most (a dump of many years has tens of thousands). */
export const MAX_DUMP_ENTRIES = 20_000;

const quote = (p: string): string => `'${p.replace(/'/g, `'\\''`)}'`;
const worse = (a: CheckStatus, b: CheckStatus): CheckStatus => (a === 'problem' || b === 'problem' ? 'problem' : a === 'warn' || b === 'warn' ? 'warn' : 'ok');

interface DumpScan {
  entries: number;
  truncated: boolean;
  /** Files readable or writable by others / only by the group. */
  othersFiles: string[];
  groupFiles: string[];
  /** Folders others (or the group) may list or enter. */
  openDirs: string[];
}

function scanDump(root: string): DumpScan {
  const scan: DumpScan = { entries: 0, truncated: false, othersFiles: [], groupFiles: [], openDirs: [] };
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // unreadable sub-folder: not ours to judge here
    }
    for (const n of names) {
      if (scan.entries >= MAX_DUMP_ENTRIES) {
        scan.truncated = true;
        return scan;
      }
      scan.entries++;
      const p = join(dir, n);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      const m = st.mode & 0o777;
      if (st.isDirectory()) {
        if (m & 0o077) scan.openDirs.push(p);
        stack.push(p);
      } else if (st.isFile()) {
        if (m & 0o007) scan.othersFiles.push(p);
        else if (m & 0o070) scan.groupFiles.push(p);
      }
    }
  }
  return scan;
}

export function checkPrivateFiles(ctx: CheckContext): CheckResult {
  const base = { id: 'private-files', name: 'private files' } as const;
  const store = ctx.config.store.path;
  if (ctx.deps.platform === 'win32') return { ...base, status: 'ok', detail: 'file modes are not checked on Windows' };

  let status: CheckStatus = 'ok';
  const found: string[] = [];
  const fixes: string[] = [];
  const data: Record<string, unknown> = {};

  // the store and its -wal / -shm
  const storeFiles: { file: string; mode: string }[] = [];
  const loose: string[] = [];
  for (const p of [store, `${store}-wal`, `${store}-shm`]) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        status = worse(status, 'warn');
        found.push(`cannot stat ${p}: ${errDetail(e)}`);
      }
      continue;
    }
    if (!st.isFile()) continue; // the store check reports that
    const m = st.mode & 0o777;
    storeFiles.push({ file: p, mode: fmtMode(m) });
    if (m & 0o007) {
      status = worse(status, 'problem');
      found.push(`${p} is readable or writable by every local user (mode ${fmtMode(m)})`);
      loose.push(p);
    } else if (m & 0o070) {
      status = worse(status, 'warn');
      found.push(`${p} is readable or writable by its group (mode ${fmtMode(m)})`);
      loose.push(p);
    }
  }
  data.store = storeFiles;
  if (loose.length > 0) fixes.push(`chmod 600 ${loose.map(quote).join(' ')}`);

  // the dump folder
  const dumpDir = ctx.config.dump.dir !== undefined ? resolve(ctx.config.dump.dir) : null;
  let dumpText = '';
  if (dumpDir !== null) {
    let st;
    try {
      st = statSync(dumpDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        status = worse(status, 'warn');
        found.push(`cannot stat the dump folder ${dumpDir}: ${errDetail(e)}`);
      }
    }
    if (st?.isDirectory()) {
      const m = st.mode & 0o777;
      const scan = scanDump(dumpDir);
      if (m & 0o077) scan.openDirs.unshift(dumpDir);
      data.dump = {
        dir: dumpDir,
        mode: fmtMode(m),
        entries: scan.entries,
        truncated: scan.truncated,
        othersFiles: scan.othersFiles.length,
        groupFiles: scan.groupFiles.length,
        openFolders: scan.openDirs.length,
      };
      const of = scan.truncated ? `of the first ${scan.entries} entries` : `of ${scan.entries} entries`;
      if (scan.othersFiles.length > 0) {
        status = worse(status, 'problem');
        found.push(`${scan.othersFiles.length} dump file(s) ${of} in ${dumpDir} are readable by every local user (e.g. ${scan.othersFiles[0]})`);
      } else if (scan.groupFiles.length > 0) {
        status = worse(status, 'warn');
        found.push(`${scan.groupFiles.length} dump file(s) ${of} in ${dumpDir} are readable by their group (e.g. ${scan.groupFiles[0]})`);
      } else if (scan.openDirs.length > 0) {
        status = worse(status, 'warn');
        found.push(`the dump folder ${dumpDir} (or a folder in it) can be listed by other users (mode ${fmtMode(m)}); the files themselves are private`);
      }
      if (scan.othersFiles.length + scan.groupFiles.length + scan.openDirs.length > 0) fixes.push(`chmod -R go-rwx ${quote(dumpDir)}`);
      dumpText = `; dump folder ${dumpDir} mode ${fmtMode(m)}, ${scan.entries}${scan.truncated ? '+' : ''} entries`;
    }
  }

  if (status === 'ok') {
    const storeText = storeFiles.length > 0 ? storeFiles.map((f) => `${f.file} ${f.mode}`).join(', ') : `no store at ${store} yet`;
    const none = storeFiles.length > 0 || dumpText !== '' ? ': none open to group or others' : '';
    return { ...base, status, detail: `${storeText}${dumpText}${none}`, data };
  }
  return { ...base, status, detail: found.join('; '), fix: `Run: ${fixes.join(' && ')}`, data };
}
