/**
 * Takeout uploads through the web UI: an export in one or several archive parts, each streamed
 * to disk as it arrives (never held in memory), then imported by the same importer as the drop
 * folder (importTakeout, one import at a time with it: src/sources/takeout/import-queue.ts).
 *
 *   POST /api/uploads[?account=]            → 201 ImportJob (state uploading): a batch
 *   PUT  /api/uploads/<id>/files/<name>     → 200 { name, bytes } (body = the file's bytes)
 *   PUT  /api/uploads/<id>/files/<name>?offset=N[&size=S][&last=1]
 *                                           → 200 { name, bytes, complete } (body = the bytes from N on)
 *   POST /api/uploads/<id>/import           → 202 ImportJob (queued → importing → done | failed)
 *   GET  /api/uploads/<id>                  → ImportJob
 *   DELETE /api/uploads/<id>                → 200 ImportJob (an upload not imported: its files removed)
 *
 * Files land in `<store file>.uploads/<id>/` (0700): `<name>.partial` while it arrives,
 * renamed to `<name>` when complete; a broken-off upload (client gone, idle for UPLOAD_IDLE_MS, the
 * disk running full, the bridge stopping) removes its partial file. Before a file is accepted the
 * free space must hold its Content-Length plus DISK_RESERVE_BYTES (checked again every
 * DISK_CHECK_BYTES received). The uploaded files are deleted when their import ends (done or
 * failed): the data is in the store then. Upload folders left by an earlier run are removed at start.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp, rmSync, type StatsFs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errText, InterruptedError, isAbortReason } from '../../errors.js';
import type { ExtensionContext } from '../../run/extension.js';
import { allowLongRequest, sendJson, sendText } from '../../run/http.js';
import { importTakeout, type ImportSummary } from '../../sources/takeout/import.js';
import { oneImportAtATime } from '../../sources/takeout/import-queue.js';
import { dayNumber } from '../../time/index.js';
import { clip } from '../../util/clip.js';
import { mkdirPrivate } from '../../util/private-fs.js';
import { ApiError } from './params.js';

export interface ImportJob {
  id: string;
  /** The account the export is imported into. */
  account: string;
  files: { name: string; bytes: number }[];
  state: 'uploading' | 'queued' | 'importing' | 'done' | 'failed';
  progress: { done: number; total: number; unit: 'bytes' | 'files' } | null;
  started_at: number | null;
  finished_at: number | null;
  summary: ImportJobSummary | null;
  error: string | null;
}

export interface ImportJobSummary {
  accounts: string[];
  /** Samples new to the store (added) and samples whose value changed. */
  samples_added: number;
  samples_changed: number;
  /** Local days from the first to the last sample written. */
  days: number;
  first: string | null;
  last: string | null;
  /** The zone local-time records were read in, and how many files were imported with it. */
  time_zones: { zone: string; files: number }[];
  /** The importer's own lines on which files were read in which zone / with which offsets. */
  zone_use: string[];
  sessions_added: number;
  unknown_files: string[];
  failed_files: { file: string; error: string }[];
}

/** No byte from the client for this long ends an upload (ms). */
export const UPLOAD_IDLE_MS = 120_000;
/** Free space kept beyond a file's size (the store grows on import too). */
export const DISK_RESERVE_BYTES = 256 * 1024 * 1024;
/** The free space is checked again after this many bytes received. */
const DISK_CHECK_BYTES = 64 * 1024 * 1024;
/** The piece size the web page sends (below the 16 MiB a proxy such as HA's ingress may allow). */
export const UPLOAD_PIECE_BYTES = 8 * 1024 * 1024;
/** Files in one batch at most. */
const MAX_FILES = 200;
/** Finished jobs remembered (status, GET). */
const KEEP_FINISHED = 20;
/** An upload batch never imported is removed after this long (ms). */
const ABANDONED_MS = 24 * 3600_000;

interface Piece {
  offset: number;
  /** The whole file's size (first piece), null when not given. */
  size: number | null;
  last: boolean;
}

/** `offset`, `size`, `last` of a PUT in pieces; null for a whole file (no `offset`). */
function pieceOf(q: URLSearchParams): Piece | null {
  const o = q.get('offset');
  if (o === null) {
    if (q.has('size') || q.has('last')) throw new ApiError(400, 'offset: expected with size or last (a file in pieces)');
    return null;
  }
  const int = (name: string, v: string): number => {
    if (!/^\d{1,16}$/.test(v) || !Number.isSafeInteger(Number(v)))
      throw new ApiError(400, `${name}: expected a whole number of bytes, got ${JSON.stringify(clip(v, 40))}`);
    return Number(v);
  };
  const offset = int('offset', o);
  const sz = q.get('size');
  const last = q.get('last');
  if (last !== null && last !== '0' && last !== '1') throw new ApiError(400, `last: expected 0 or 1, got ${JSON.stringify(clip(last, 20))}`);
  return { offset, size: sz === null ? null : int('size', sz), last: last === '1' };
}

/** A plain file name ending .zip / .tgz / .tar.gz: no folder, no leading dot, no control characters. */
export function validUploadName(name: string): boolean {
  if (name.length === 0 || name.length > 200) return false;
  if (name.startsWith('.') || name.includes('/') || name.includes('\\')) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return /\.(zip|tgz|tar\.gz)$/i.test(name);
}

export interface UploadDeps {
  clock: () => number;
  /** Free space of the file system holding a path (fs.promises.statfs); tests give a full disk. */
  statfs: (path: string) => Promise<Pick<StatsFs, 'bavail' | 'bsize'>>;
}

interface Job extends ImportJob {
  dir: string;
  /** PUT streams in progress and their file names (ended on stop / delete). */
  active: Map<IncomingMessage, string>;
  /** Files arriving in pieces, not complete yet: bytes so far, announced size (null: unknown). */
  pieces: Map<string, { bytes: number; size: number | null }>;
  createdAt: number;
}

export class Uploads {
  private readonly jobs = new Map<string, Job>();
  private readonly root: string;
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly ctx: ExtensionContext,
    private readonly deps: UploadDeps,
  ) {
    // named after the store file, so it can never be a folder of the user's (`~/uploads` beside `~/fitbit.db`)
    this.root = `${resolve(ctx.store.path)}.uploads`;
    // uploads of an earlier run cannot be resumed (their jobs lived in its memory)
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Jobs, newest first (finished ones: the last KEEP_FINISHED). */
  list(): ImportJob[] {
    return [...this.jobs.values()].sort((a, b) => b.createdAt - a.createdAt).map((j) => this.view(j));
  }

  private view(j: Job): ImportJob {
    return {
      id: j.id,
      account: j.account,
      files: j.files.map((f) => ({ ...f })),
      state: j.state,
      progress: j.progress ? { ...j.progress } : null,
      started_at: j.started_at,
      finished_at: j.finished_at,
      summary: j.summary,
      error: j.error,
    };
  }

  private job(id: string): Job {
    const j = this.jobs.get(id);
    if (!j) throw new ApiError(404, `no upload ${JSON.stringify(clip(id, 40))} (uploads are kept while the bridge runs)`);
    return j;
  }

  private defaultAccount(): string {
    const c = this.ctx.config;
    return c.takeout.drop_account ?? c.accounts[0]?.name ?? 'default';
  }

  /** POST /api/uploads */
  create(q: URLSearchParams): ImportJob {
    this.prune();
    const account = q.get('account') ?? this.defaultAccount();
    const names = this.ctx.config.accounts.map((a) => a.name);
    if (names.length > 0 && !names.includes(account))
      throw new ApiError(400, `account: no configured account ${JSON.stringify(clip(account, 64))} (configured: ${names.join(', ')})`);
    const id = randomBytes(9).toString('base64url');
    const dir = join(this.root, id);
    mkdirPrivate(this.root);
    mkdirPrivate(dir);
    const now = this.deps.clock();
    const j: Job = {
      id,
      account,
      files: [],
      state: 'uploading',
      progress: null,
      started_at: now,
      finished_at: null,
      summary: null,
      error: null,
      dir,
      active: new Map(),
      pieces: new Map(),
      createdAt: now,
    };
    this.jobs.set(id, j);
    return this.view(j);
  }

  get(id: string): ImportJob {
    return this.view(this.job(id));
  }

  /** PUT /api/uploads/<id>/files/<name>: streams the body to disk. Answers itself. */
  async put(id: string, rawName: string, req: IncomingMessage, res: ServerResponse, q: URLSearchParams = new URLSearchParams()): Promise<void> {
    try {
      await this.receive(id, rawName, req, res, pieceOf(q));
    } catch (e) {
      if (!(e instanceof ApiError) || res.headersSent) throw e;
      // refused before reading the body: close the connection rather than read gigabytes for nothing
      sendClose(res, e.status, e.message);
    }
  }

  private async receive(id: string, rawName: string, req: IncomingMessage, res: ServerResponse, piece: Piece | null): Promise<void> {
    const j = this.job(id);
    let name: string;
    try {
      name = decodeURIComponent(rawName);
    } catch {
      throw new ApiError(400, 'name: not a valid URL-encoded file name');
    }
    if (!validUploadName(name)) throw new ApiError(400, `name: expected a plain file name ending .zip, .tgz or .tar.gz, got ${JSON.stringify(clip(name, 80))}`);
    if (j.state !== 'uploading') throw new ApiError(409, `upload ${id} is ${j.state}: files can only be added before its import`);
    if (j.files.some((f) => f.name === name) || [...j.active.values()].includes(name))
      throw new ApiError(409, `name: ${JSON.stringify(name)} is already in this upload`);
    const begun = j.pieces.get(name);
    if (piece === null || piece.offset === 0) {
      if (begun !== undefined && piece === null) throw new ApiError(409, `name: ${JSON.stringify(name)} is arriving in pieces`);
      if (begun === undefined && j.files.length + j.active.size + j.pieces.size >= MAX_FILES)
        throw new ApiError(413, `an upload holds at most ${MAX_FILES} files`);
    } else if (begun === undefined || begun.bytes !== piece.offset) {
      throw new ApiError(409, `offset: ${piece.offset} is not where ${JSON.stringify(name)} goes on (expected ${begun?.bytes ?? 0}; start again at offset 0)`);
    }
    const lengthHeader = req.headers['content-length'];
    const length = lengthHeader !== undefined ? Number(lengthHeader) : null;
    if (length !== null && !Number.isSafeInteger(length)) throw new ApiError(400, 'Content-Length: not a number');
    // the first piece announces the whole file: the disk must hold all of it
    await this.checkSpace(j.dir, piece?.offset === 0 && piece.size !== null ? piece.size : (length ?? 0));

    allowLongRequest(req, UPLOAD_IDLE_MS);
    j.active.set(req, name);
    const final = join(j.dir, name);
    const partial = `${final}.partial`;
    if (piece !== null && piece.offset === 0 && begun !== undefined) {
      // the file starts again: what its earlier pieces counted goes
      this.dropPieces(j, name, begun);
      await fsp.rm(partial, { force: true });
    }
    /** Bytes of this file received before this request (earlier pieces). */
    const before = piece !== null && piece.offset > 0 ? piece.offset : 0;
    let received = 0;
    let sinceCheck = 0;
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        received += chunk.length;
        sinceCheck += chunk.length;
        if (j.progress && j.progress.unit === 'bytes') j.progress.done += chunk.length;
        if (sinceCheck < DISK_CHECK_BYTES) return cb(null, chunk);
        sinceCheck = 0;
        this.checkSpace(j.dir, 0).then(
          () => cb(null, chunk),
          (e: unknown) => cb(e as Error),
        );
      },
    });
    const announced = piece === null ? length : piece.offset === 0 ? piece.size : null;
    if (announced !== null) {
      j.progress ??= { done: 0, total: 0, unit: 'bytes' };
      j.progress.total += announced;
    }
    if (piece !== null && piece.offset === 0) j.pieces.set(name, { bytes: 0, size: piece.size });
    const stopped = (): void => {
      req.destroy(new InterruptedError('upload stopped: the bridge is stopping'));
    };
    this.abort.signal.addEventListener('abort', stopped, { once: true });
    try {
      const flags = piece === null ? 'wx' : piece.offset === 0 ? 'w' : 'a';
      await pipeline(req, counter, createWriteStream(partial, { flags, mode: 0o600 }));
      if (length !== null && received !== length) throw new ApiError(400, `Content-Length: ${length} bytes announced, ${received} received`);
      if (j.state !== 'uploading') throw new ApiError(409, `upload ${id} was ${j.state === 'failed' ? 'cancelled' : j.state} while the file arrived`);
      const total = before + received;
      const state = j.pieces.get(name);
      if (piece !== null && state) state.bytes = total;
      if (piece !== null && !piece.last) {
        sendJson(res, 200, { name, bytes: total, complete: false });
        return;
      }
      if (state?.size != null && state.size !== total)
        throw new ApiError(400, `size: ${state.size} bytes announced for ${JSON.stringify(name)}, ${total} received`);
      await fsp.rename(partial, final);
      j.pieces.delete(name);
      j.files.push({ name, bytes: total });
      this.ctx.logger.info({ upload: id, file: name, bytes: total }, 'web upload: file received');
      sendJson(res, 200, piece === null ? { name, bytes: total } : { name, bytes: total, complete: true });
    } catch (e) {
      await fsp.rm(partial, { force: true });
      if (j.progress && j.progress.unit === 'bytes') {
        j.progress.done -= received;
        if (piece === null && length !== null) j.progress.total -= length;
      }
      const state = j.pieces.get(name);
      if (piece !== null && state) this.dropPieces(j, name, state);
      this.ctx.logger.warn({ upload: id, file: name, bytes: received, err: errText(e) }, 'web upload: file broken off, partial file removed');
      if (res.headersSent || req.socket.destroyed) {
        res.destroy();
        return;
      }
      sendClose(res, e instanceof ApiError ? e.status : 400, e instanceof ApiError ? e.message : `upload broken off: ${errText(e)}`);
    } finally {
      this.abort.signal.removeEventListener('abort', stopped);
      j.active.delete(req);
    }
  }

  /** Forgets a file arriving in pieces: its partial file is gone, so are its bytes in the progress. */
  private dropPieces(j: Job, name: string, state: { bytes: number; size: number | null }): void {
    j.pieces.delete(name);
    if (j.progress && j.progress.unit === 'bytes') {
      j.progress.done -= state.bytes;
      if (state.size !== null) j.progress.total -= state.size;
    }
  }

  private async checkSpace(dir: string, need: number): Promise<void> {
    let free: number;
    try {
      const s = await this.deps.statfs(dir);
      free = Number(s.bavail) * Number(s.bsize);
    } catch {
      return; // unknown: the write itself fails when the disk is full
    }
    if (free < need + DISK_RESERVE_BYTES) {
      const mib = (n: number): string => `${Math.floor(n / 1048576)} MiB`;
      throw new ApiError(
        413,
        `not enough disk space: ${mib(free)} free where the upload needs ${mib(need)} plus ${mib(DISK_RESERVE_BYTES)} kept free (the store grows on import); free some space or use the drop folder on a larger disk`,
      );
    }
  }

  /** POST /api/uploads/<id>/import */
  startImport(id: string): ImportJob {
    const j = this.job(id);
    if (j.state !== 'uploading') throw new ApiError(409, `upload ${id} is already ${j.state}`);
    if (j.active.size > 0) throw new ApiError(409, `upload ${id}: ${j.active.size} file(s) still arriving`);
    if (j.pieces.size > 0)
      throw new ApiError(409, `upload ${id}: ${[...j.pieces.keys()].map((n) => JSON.stringify(n)).join(', ')} not complete (its last piece has last=1)`);
    if (j.files.length === 0) throw new ApiError(409, `upload ${id} has no files: PUT /api/uploads/${id}/files/<name> first`);
    j.state = 'queued';
    j.progress = null;
    const p = this.runImport(j).finally(() => this.running.delete(p));
    this.running.add(p);
    return this.view(j);
  }

  private async runImport(j: Job): Promise<void> {
    const acct = this.ctx.config.accounts.find((a) => a.name === j.account);
    const timezone = acct?.timezone ?? this.ctx.config.takeout.timezone;
    const paths = j.files.map((f) => join(j.dir, f.name));
    let summary: ImportSummary | null = null;
    let failure: unknown = null;
    try {
      summary = await oneImportAtATime(() => {
        if (this.abort.signal.aborted) throw new InterruptedError('import not started: the bridge is stopping');
        j.state = 'importing';
        j.progress = { done: 0, total: j.files.reduce((a, f) => a + f.bytes, 0), unit: 'bytes' };
        return importTakeout({
          paths,
          account: j.account,
          store: this.ctx.store,
          logger: this.ctx.logger.child({ upload: j.id }),
          progress: false,
          signal: this.abort.signal,
          onProgress: (done, total) => {
            j.progress = { done, total, unit: 'bytes' };
          },
          ...(timezone !== undefined ? { timezone, timezoneFrom: 'config' as const } : {}),
        });
      });
    } catch (e) {
      failure = e;
    }
    // the data is in the store (or the import failed): the uploaded files go before the job says so
    await fsp.rm(j.dir, { recursive: true, force: true }).catch(() => undefined);
    j.finished_at = this.deps.clock();
    const stoppedText = 'the import was stopped (the bridge is stopping): upload the export again';
    if (summary !== null) {
      j.summary = jobSummary(summary);
      if (summary.stopped) {
        j.state = 'failed';
        j.error = stoppedText;
      } else {
        if (j.progress) j.progress.done = j.progress.total;
        j.state = 'done';
      }
      this.ctx.logger.info(
        { upload: j.id, account: j.account, added: j.summary.samples_added, failed: j.summary.failed_files.length },
        'web upload: import finished',
      );
    } else {
      j.error = isAbortReason(failure) ? stoppedText : errText(failure);
      j.state = 'failed';
      this.ctx.logger.error({ upload: j.id, err: errText(failure) }, 'web upload: import failed');
    }
  }

  /** DELETE /api/uploads/<id>: an upload not imported yet; its files are removed. */
  async remove(id: string): Promise<ImportJob> {
    const j = this.job(id);
    if (j.state === 'queued' || j.state === 'importing') throw new ApiError(409, `upload ${id} is ${j.state}: it cannot be cancelled now`);
    if (j.state === 'uploading') {
      j.state = 'failed';
      j.error = 'cancelled';
      j.finished_at = this.deps.clock();
      for (const r of j.active.keys()) r.destroy(new Error('upload cancelled'));
    }
    await fsp.rm(j.dir, { recursive: true, force: true });
    return this.view(j);
  }

  /** Forgets finished jobs beyond KEEP_FINISHED and removes batches never imported for ABANDONED_MS. */
  private prune(): void {
    const now = this.deps.clock();
    const finished = [...this.jobs.values()].filter((j) => j.state === 'done' || j.state === 'failed').sort((a, b) => b.createdAt - a.createdAt);
    for (const j of finished.slice(KEEP_FINISHED)) this.jobs.delete(j.id);
    for (const j of this.jobs.values()) {
      if (j.state === 'uploading' && j.active.size === 0 && now - j.createdAt > ABANDONED_MS) {
        j.state = 'failed';
        j.error = 'abandoned: no import started within a day';
        j.finished_at = now;
        rmSync(j.dir, { recursive: true, force: true });
      }
    }
  }

  /** Stops uploads and the import in progress; waits for the import to end. */
  async stop(): Promise<void> {
    this.abort.abort(new InterruptedError('web upload stopped: the bridge is stopping'));
    await Promise.allSettled([...this.running]);
  }
}

/** An error answer that closes the connection (the rest of a request body is never read). */
function sendClose(res: ServerResponse, status: number, error: string): void {
  sendText(res, status, `${JSON.stringify({ error })}\n`, 'application/json; charset=utf-8', { connection: 'close' });
}

export function jobSummary(s: ImportSummary): ImportJobSummary {
  let added = 0,
    changed = 0;
  let first: string | null = null,
    last: string | null = null;
  for (const m of Object.values(s.metrics)) {
    added += m.added;
    changed += m.changed;
    if (m.first !== null && (first === null || m.first < first)) first = m.first;
    if (m.last !== null && (last === null || m.last > last)) last = m.last;
  }
  return {
    accounts: [s.account],
    samples_added: added,
    samples_changed: changed,
    days: first !== null && last !== null ? dayNumber(last) - dayNumber(first) + 1 : 0,
    first,
    last,
    time_zones: s.zone.name === '(none)' ? [] : [{ zone: s.zone.name, files: s.files.imported }],
    zone_use: [...s.zoneUse],
    sessions_added: Object.values(s.sessions).reduce((a, x) => a + x.added, 0),
    unknown_files: s.files.unknown.slice(0, 200),
    failed_files: s.files.failed.slice(0, 200),
  };
}
