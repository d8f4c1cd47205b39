/**
 * The Takeout drop folder: Google Takeout can export on a schedule (every two months for a
 * year); whatever brings the archives to this machine (Drive sync, Syncthing, an SD card, a
 * browser download) puts them into one folder, and the bridge imports each new export once.
 *
 * What counts as an export (top level of the folder only):
 * - a `.zip`, `.tgz` or `.tar.gz` file; the parts of one multi-part export
 *   (`takeout-20260401T120000Z-001.zip`, `-002.zip`, …) are grouped by the name before the part
 *   number and imported together, once every part from 001 up to the highest number is there;
 * - a folder (an extracted export); folders named `…-001`, `…-002` are grouped the same way.
 * Hidden files (`.name`, rsync's temp files) and unfinished downloads (`.part`, `.crdownload`,
 * `.tmp`, `.download`, `.partial`) are ignored; so is anything else. Symbolic links, at the top
 * or inside an extracted export, are never followed or read (they may point anywhere: a secret, a
 * FIFO, back up the tree): each is skipped and logged once (archive.ts walkFolder).
 *
 * When an export is imported:
 * 1. settled: each file's size and mtime (a folder's file count, total size and newest mtime)
 *    stayed the same for `settleMs` as seen by this watcher (so a copy in progress — whatever
 *    mtime the copy tool sets — is waited for);
 * 2. complete: a zip's central directory must be readable (the importer's own truncated-archive
 *    detection, `listInputs` of archive.ts); a .tgz must gunzip to its end;
 * 3. new: every file gets a content hash (SHA-256 of its size, first and last MiB); a file whose
 *    hash was imported before — under any name — is not imported again.
 * A settled file that is not complete is reported (logged with the file and the reason) and
 * tried again only when it changes; so is an import that fails or reports failed files (touch
 * the file to force another try, e.g. after setting a time zone). Running out of disk is
 * retried after a while without a change.
 *
 * What was imported (file name, size, mtime, hash) and what failed (its fingerprint) is kept in
 * the store's key/value state (`takeout.drop_folder`), so a restart neither imports nor retries
 * anything again. Files are never moved, renamed or deleted.
 *
 * A multi-part export whose first parts settle before the last one arrives (slow sequential
 * downloads) is imported in steps: the parts present, then the new ones. The result is the same
 * (imports are idempotent and do not depend on the order of the parts).
 *
 * The watcher does no timing itself: `scan()` looks once, with the time from `clock`; the
 * `run` part (drop-folder-part.ts) calls it on a poll timer and on fs.watch
 * hints. Tests drive it with their own clock.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { STATE_KEYS } from '../../store/state-keys.js';
import { errText } from '../../errors.js';
import { StoreFullError, type Store } from '../../store/types.js';
import { systemClock, type Clock } from '../../time/index.js';
import type { Logger } from '../../util/log.js';
import { clip } from '../../util/clip.js';
import { listInputs, openWalkedFile, walkFolder, type WalkedFile } from './archive.js';
import { importTakeout, type ImportSummary } from './import.js';
import { oneImportAtATime } from './import-queue.js';

export type DropKind = 'zip' | 'tgz' | 'dir';

export interface DropFolderOptions {
  /** The folder watched. */
  dir: string;
  /** Account the exports are imported into. */
  account: string;
  store: Store;
  logger: Logger;
  /** Size and mtime must stay unchanged this long (ms) before a file is imported. */
  settleMs: number;
  /** IANA zone for local-time records (account / takeout.timezone), as import-takeout uses it. */
  timezone?: string;
  /** Epoch ms; default Date.now. */
  clock?: Clock;
  /** The import (default: importTakeout into `store` for `account`). Tests wrap it to count calls. */
  importer?: (paths: string[]) => Promise<ImportSummary>;
  /** Bytes hashed at each end of a file (default 1 MiB). */
  hashBytes?: number;
  /** After a transient failure (disk full, store busy) the next try waits this long (ms, default 10 min). */
  transientRetryMs?: number;
  /**
   * Stops a scan in progress (`run` stopping): the folder walks, the completeness check and the
   * import stop between entries; an export interrupted so is not recorded (imported again next time).
   */
  signal?: AbortSignal;
}

/** What one scan did with one export (a group of parts). */
export interface DropEvent {
  kind: 'waiting' | 'imported' | 'duplicate' | 'failed';
  /** The group: the name before the part number (or the file / folder name). */
  group: string;
  /** File / folder names in the drop folder, in part order. */
  files: string[];
  /** Why it waits, why it failed, or what it duplicates. */
  detail: string;
  summary?: ImportSummary;
}

interface ImportedRecord {
  name: string;
  size: number;
  mtimeMs: number;
  hash: string;
  /** Epoch ms of the import. */
  at: number;
  account: string;
}

interface FailedRecord {
  group: string;
  fingerprint: string;
  error: string;
  at: number;
}

interface DropState {
  version: 1;
  imported: ImportedRecord[];
  failed: FailedRecord[];
}

/** Records kept at most (oldest dropped first). */
const MAX_RECORDS = 2000;

interface Member {
  name: string;
  path: string;
  kind: DropKind;
  part: number | null;
  size: number;
  mtimeMs: number;
  /** What must stay the same to count as settled. */
  fingerprint: string;
}

interface Observation {
  fingerprint: string;
  /** Clock time since when the fingerprint is unchanged. */
  since: number;
}

interface Handled {
  fingerprint: string;
  /** For transient failures: try again after this clock time without a change. */
  retryAt?: number;
}

const IGNORED = /(^\.|^~\$|\.(part|crdownload|tmp|download|partial|opdownload|!qb)$)/i;
const ARCHIVE = /\.(zip|tgz|tar\.gz)$/i;
const PART = /^(.+)-(\d{3,})$/;

/** Splits `takeout-…-002.zip` into its group (`takeout-….zip`) and part (2); a name without a part number is its own group. */
export function dropGroupOf(name: string, isDir: boolean): { group: string; part: number | null } {
  const m = isDir ? null : ARCHIVE.exec(name);
  const ext = m ? m[0].toLowerCase() : '';
  const stem = m ? name.slice(0, name.length - m[0].length) : name;
  const p = PART.exec(stem);
  if (p) return { group: `${p[1]}${isDir ? '/' : ext}`, part: Number(p[2]) };
  return { group: isDir ? `${name}/` : name, part: null };
}

function isTransient(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as NodeJS.ErrnoException).code;
  return e instanceof StoreFullError || code === 'ENOSPC' || code === 'EMFILE' || code === 'ENFILE' || code === 'SQLITE_BUSY' || code === 'SQLITE_FULL';
}

/** Flags opening a dropped file: never through a symbolic link, never blocking on a FIFO. */
const OPEN_DROPPED = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);

async function hashEnds(path: string | WalkedFile, size: number, n: number, h: ReturnType<typeof createHash>): Promise<void> {
  let fh: FileHandle;
  if (typeof path === 'string') {
    fh = await fsp.open(path, OPEN_DROPPED);
    if (!(await fh.stat().catch(() => null))?.isFile()) {
      await fh.close();
      throw new Error(`${path}: not a regular file`);
    }
  } else fh = await openWalkedFile(path);
  try {
    const read = async (pos: number, len: number): Promise<void> => {
      const buf = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const r = await fh.read(buf, got, len - got, pos + got);
        if (r.bytesRead === 0) break;
        got += r.bytesRead;
      }
      h.update(buf.subarray(0, got));
    };
    if (size <= 2 * n) await read(0, size);
    else {
      await read(0, n);
      await read(size - n, n);
    }
  } finally {
    await fh.close();
  }
}

/** Content hash of a dropped file (its size, first and last `n` bytes) or folder (every file's path, size and ends). */
export async function dropContentHash(path: string, kind: DropKind, n = 1024 * 1024, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  if (kind === 'dir') {
    const { files } = await walkFolder(path, { signal });
    h.update(`dir ${files.length}\n`);
    for (const f of files) {
      signal?.throwIfAborted();
      h.update(`${f.rel}\u0000${f.size}\n`);
      await hashEnds(f, f.size, Math.min(n, 64 * 1024), h);
    }
  } else {
    const st = await fsp.stat(path);
    h.update(`file ${st.size}\n`);
    await hashEnds(path, st.size, n, h);
  }
  return h.digest('hex');
}

/** Null when the archive can be read to its end, else why not (truncated, still being copied, damaged). */
export async function dropIncomplete(path: string, kind: DropKind, signal?: AbortSignal): Promise<string | null> {
  if (kind === 'dir') return null;
  try {
    await listInputs([path], { signal }); // zip: magic + central directory, the importer's own check
    if (kind === 'tgz') {
      const fh = await fsp.open(path, OPEN_DROPPED);
      await pipeline(
        fh.createReadStream(),
        createGunzip(),
        new Writable({
          write(_c, _e, cb) {
            cb();
          },
        }),
        ...(signal ? [{ signal }] : []),
      );
    }
    return null;
  } catch (e) {
    if (signal?.aborted) throw e;
    const msg = errText(e);
    // zlib: Z_BUF_ERROR 'unexpected end of file' (truncated), Z_DATA_ERROR 'incorrect header check', 'invalid …' (damaged)
    const code = (e as NodeJS.ErrnoException | null)?.code;
    return kind === 'tgz' && (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR')
      ? `${path}: the .tgz is truncated or damaged (is it still being copied?): ${msg}`
      : msg;
  }
}

export class DropFolderWatcher {
  private readonly clock: Clock;
  private readonly observed = new Map<string, Observation>();
  /** group → what it looked like when it was last handled (imported, duplicate, failed). */
  private readonly handled = new Map<string, Handled>();
  private state: DropState | null = null;
  private running: Promise<DropEvent[]> | null = null;
  private missingLogged = false;
  private readonly log: Logger;
  /** Symbolic links seen at the last scan (each is logged once). */
  private linksLogged = new Set<string>();

  constructor(private readonly opts: DropFolderOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger.child({ dropFolder: opts.dir });
  }

  private get signal(): AbortSignal | undefined {
    return this.opts.signal;
  }

  /** Looks at the folder once and imports what is ready. Concurrent calls share one scan. */
  scan(): Promise<DropEvent[]> {
    if (this.running) return this.running;
    this.running = this.scanOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when no scan is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  /** The clock time at which the next waiting file settles (null when nothing waits). */
  nextDeadline(): number | null {
    let best: number | null = null;
    for (const o of this.observed.values()) {
      const t = o.since + this.opts.settleMs;
      if (t > this.clock() && (best === null || t < best)) best = t;
    }
    for (const h of this.handled.values()) {
      if (h.retryAt !== undefined && (best === null || h.retryAt < best)) best = h.retryAt;
    }
    return best;
  }

  // ---- state in the store -------------------------------------------------------------------------

  private loadState(): DropState {
    if (this.state) return this.state;
    const empty: DropState = { version: 1, imported: [], failed: [] };
    const raw = this.opts.store.getState(STATE_KEYS.dropFolder);
    if (raw !== null) {
      try {
        const x = JSON.parse(raw) as Partial<DropState>;
        if (x && x.version === 1 && Array.isArray(x.imported) && Array.isArray(x.failed)) {
          this.state = { version: 1, imported: x.imported, failed: x.failed };
          return this.state;
        }
      } catch {
        // fall through
      }
      this.log.warn('the drop folder state in the store is unreadable; starting afresh (imports are idempotent)');
    }
    this.state = empty;
    return this.state;
  }

  private saveState(): void {
    const s = this.loadState();
    if (s.imported.length > MAX_RECORDS) s.imported.splice(0, s.imported.length - MAX_RECORDS);
    if (s.failed.length > MAX_RECORDS) s.failed.splice(0, s.failed.length - MAX_RECORDS);
    this.opts.store.setState(STATE_KEYS.dropFolder, JSON.stringify(s));
  }

  /** What was imported so far (for status displays and tests). */
  importedRecords(): readonly ImportedRecord[] {
    return this.loadState().imported;
  }

  // ---- scanning -----------------------------------------------------------------------------------

  private async list(): Promise<Member[] | null> {
    let entries;
    try {
      entries = await fsp.readdir(this.opts.dir, { withFileTypes: true });
    } catch (e) {
      if (!this.missingLogged) {
        this.missingLogged = true;
        this.log.warn({ err: errText(e) }, `cannot read the drop folder ${this.opts.dir}; looking again at every poll`);
      }
      return null;
    }
    if (this.missingLogged) {
      this.missingLogged = false;
      this.log.info(`the drop folder ${this.opts.dir} is readable again`);
    }
    const out: Member[] = [];
    const links = new Set<string>();
    for (const d of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      this.signal?.throwIfAborted();
      if (IGNORED.test(d.name)) continue;
      const path = join(this.opts.dir, d.name);
      let st;
      try {
        st = await fsp.lstat(path); // a symbolic link is never followed (it may point anywhere)
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) {
        links.add(path);
        continue;
      }
      if (st.isFile() && ARCHIVE.test(d.name)) {
        const kind: DropKind = /\.zip$/i.test(d.name) ? 'zip' : 'tgz';
        const { part } = dropGroupOf(d.name, false);
        out.push({ name: d.name, path, kind, part, size: st.size, mtimeMs: st.mtimeMs, fingerprint: `${st.size}:${st.mtimeMs}` });
      } else if (st.isDirectory()) {
        let files;
        try {
          const w = await walkFolder(path, { signal: this.signal });
          files = w.files;
          for (const l of w.links) links.add(l);
        } catch (e) {
          if (this.signal?.aborted) throw e;
          continue; // being created or removed; next scan
        }
        const size = files.reduce((a, f) => a + f.size, 0);
        const mtimeMs = files.reduce((a, f) => Math.max(a, f.mtimeMs), st.mtimeMs);
        const { part } = dropGroupOf(d.name, true);
        out.push({ name: d.name, path, kind: 'dir', part, size, mtimeMs, fingerprint: `${files.length}:${size}:${mtimeMs}` });
      }
    }
    // said once per link (every poll would repeat it)
    const fresh = [...links].filter((l) => !this.linksLogged.has(l));
    this.linksLogged = links;
    if (fresh.length) {
      this.log.warn(
        { links: fresh.slice(0, 10).map((l) => clip(l)) },
        `drop folder: ${fresh.length} symbolic link(s) skipped: links are never followed or read (copy the file into the folder instead)`,
      );
    }
    return out;
  }

  private async scanOnce(): Promise<DropEvent[]> {
    const members = await this.list();
    if (members === null) return [];
    const now = this.clock();
    const seen = new Set<string>();
    for (const m of members) {
      seen.add(m.name);
      const o = this.observed.get(m.name);
      if (!o || o.fingerprint !== m.fingerprint) this.observed.set(m.name, { fingerprint: m.fingerprint, since: now });
    }
    for (const name of [...this.observed.keys()]) if (!seen.has(name)) this.observed.delete(name);

    const groups = new Map<string, Member[]>();
    for (const m of members) {
      const g = dropGroupOf(m.name, m.kind === 'dir').group;
      const list = groups.get(g) ?? [];
      list.push(m);
      groups.set(g, list);
    }
    for (const g of [...this.handled.keys()]) if (!groups.has(g)) this.handled.delete(g);

    const events: DropEvent[] = [];
    for (const [group, list] of [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      list.sort((a, b) => (a.part ?? 0) - (b.part ?? 0) || (a.name < b.name ? -1 : 1));
      this.signal?.throwIfAborted();
      const ev = await this.consider(group, list, now);
      if (ev) events.push(ev);
    }
    return events;
  }

  private groupFingerprint(list: Member[]): string {
    return list.map((m) => `${m.name}=${m.fingerprint}`).join('|');
  }

  /** What to do with one group now; null when it was handled before and did not change. */
  private async consider(group: string, list: Member[], now: number): Promise<DropEvent | null> {
    const files = list.map((m) => m.name);
    const fp = this.groupFingerprint(list);
    const h = this.handled.get(group);
    if (h && h.fingerprint === fp && (h.retryAt === undefined || now < h.retryAt)) return null;

    // exactly what was imported before (same names, sizes and mtimes; e.g. after a restart): nothing to do
    const state = this.loadState();
    const isKnown = (m: Member): boolean => state.imported.some((r) => r.name === m.name && r.size === m.size && r.mtimeMs === m.mtimeMs);
    if (list.every(isKnown)) {
      this.handled.set(group, { fingerprint: fp });
      this.log.debug({ group, files }, 'drop folder: imported before');
      return null;
    }

    // all parts from 1 to the highest present
    const parts = list.map((m) => m.part).filter((p): p is number => p !== null);
    if (parts.length > 0) {
      const max = Math.max(...parts);
      const have = new Set(parts);
      const missing: number[] = [];
      for (let i = 1; i <= max; i++) if (!have.has(i)) missing.push(i);
      if (missing.length > 0) {
        return {
          kind: 'waiting',
          group,
          files,
          detail: `waiting for part${missing.length === 1 ? '' : 's'} ${missing.map((i) => String(i).padStart(3, '0')).join(', ')}`,
        };
      }
    }
    // settled
    const unsettled = list.filter((m) => {
      const o = this.observed.get(m.name);
      return !o || now - o.since < this.opts.settleMs;
    });
    if (unsettled.length > 0) {
      return {
        kind: 'waiting',
        group,
        files,
        detail: `waiting for ${unsettled.map((m) => m.name).join(', ')} to stop changing (${Math.round(this.opts.settleMs / 1000)} s)`,
      };
    }

    // a failure recorded for exactly this content (also across restarts): only a change retries it
    const prevFail = state.failed.find((f) => f.group === group && f.fingerprint === fp);
    if (prevFail && !(h && h.retryAt !== undefined)) {
      this.handled.set(group, { fingerprint: fp });
      this.log.info(
        { group, files, error: prevFail.error },
        'not retrying an export that failed before; it is tried again when it changes (touch it to force)',
      );
      return null;
    }

    // complete
    for (const m of list) {
      const why = await dropIncomplete(m.path, m.kind, this.signal);
      if (why !== null) return this.fail(group, files, fp, `${m.name}: ${why}`, false);
    }

    // new content only
    let hashes: string[];
    try {
      hashes = await Promise.all(
        list.map(async (m) => {
          const known = state.imported.find((r) => r.name === m.name && r.size === m.size && r.mtimeMs === m.mtimeMs);
          return known ? known.hash : dropContentHash(m.path, m.kind, this.opts.hashBytes, this.signal);
        }),
      );
    } catch (e) {
      if (this.signal?.aborted) throw e;
      return this.fail(group, files, fp, `cannot read: ${errText(e)}`, isTransient(e));
    }
    const byHash = new Map(state.imported.map((r) => [r.hash, r] as const));
    const fresh = list.filter((_, i) => !byHash.has(hashes[i] as string));
    const remember = (): void => {
      const at = this.clock();
      list.forEach((m, i) => {
        if (!state.imported.some((r) => r.name === m.name && r.hash === hashes[i])) {
          state.imported.push({ name: m.name, size: m.size, mtimeMs: m.mtimeMs, hash: hashes[i] as string, at, account: this.opts.account });
        }
      });
      state.failed = state.failed.filter((f) => f.group !== group);
      this.saveState();
      this.handled.set(group, { fingerprint: fp });
    };
    if (fresh.length === 0) {
      const same = [...new Set(hashes.map((x) => byHash.get(x)?.name).filter((x): x is string => x !== undefined))];
      remember();
      const detail = `already imported (same content as ${same.join(', ')})`;
      this.log.info({ group, files }, `drop folder: ${files.join(', ')} ${detail}; not importing again`);
      return { kind: 'duplicate', group, files, detail };
    }

    const paths = fresh.map((m) => m.path);
    this.log.info({ group, files: fresh.map((m) => m.name), account: this.opts.account }, `drop folder: importing ${fresh.map((m) => m.name).join(', ')}`);
    let summary: ImportSummary;
    try {
      summary = await this.runImport(paths);
    } catch (e) {
      // stopped (run is stopping): not recorded as a failure, the export is imported again at the next start
      if (this.signal?.aborted) throw e;
      return this.fail(group, files, fp, errText(e), isTransient(e));
    }
    // stopped part-way (the summary says so): not recorded either, imported again at the next start
    if (summary.stopped) this.signal?.throwIfAborted();
    const added = Object.values(summary.metrics).reduce((a, m) => a + m.added + m.changed, 0);
    const sessions = Object.values(summary.sessions).reduce((a, s) => a + s.added, 0);
    if (summary.exitCode !== 0 || summary.files.failed.length > 0) {
      const failed = summary.files.failed.map((f) => `${f.file}: ${f.error}`);
      const ev = this.fail(
        group,
        files,
        fp,
        `${failed.length} file(s) inside failed (the rest is stored: ${added} samples, ${sessions} sessions): ${failed.slice(0, 5).join('; ')}`,
        false,
      );
      return { ...ev, summary };
    }
    remember();
    const detail = `imported ${summary.files.imported} files: ${added} samples added or changed, ${sessions} sessions`;
    this.log.info(
      {
        group,
        files: fresh.map((m) => m.name),
        account: this.opts.account,
        added,
        sessions,
        filesImported: summary.files.imported,
        conflicts: summary.conflicts,
      },
      `drop folder: ${detail}`,
    );
    return { kind: 'imported', group, files, detail, summary };
  }

  private runImport(paths: string[]): Promise<ImportSummary> {
    if (this.opts.importer) return this.opts.importer(paths);
    return oneImportAtATime(() =>
      importTakeout({
        paths,
        account: this.opts.account,
        store: this.opts.store,
        logger: this.log,
        progress: false,
        ...(this.signal ? { signal: this.signal } : {}),
        ...(this.opts.timezone !== undefined ? { timezone: this.opts.timezone, timezoneFrom: 'config' as const } : {}),
      }),
    );
  }

  private fail(group: string, files: string[], fp: string, error: string, transient: boolean): DropEvent {
    const now = this.clock();
    if (transient) {
      this.handled.set(group, { fingerprint: fp, retryAt: now + (this.opts.transientRetryMs ?? 600_000) });
      this.log.error({ group, files, err: error }, `drop folder: import of ${files.join(', ')} failed; trying again in a while`);
    } else {
      this.handled.set(group, { fingerprint: fp });
      const state = this.loadState();
      state.failed = state.failed.filter((f) => f.group !== group);
      state.failed.push({ group, fingerprint: fp, error, at: now });
      try {
        this.saveState();
      } catch (e) {
        this.log.warn({ err: errText(e) }, 'could not record the failure in the store');
      }
      this.log.error({ group, files, err: error }, `drop folder: ${files.join(', ')} not imported: ${error}. Tried again when the file changes`);
    }
    return { kind: 'failed', group, files, detail: error };
  }
}
