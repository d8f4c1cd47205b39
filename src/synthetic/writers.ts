/**
 * Writes a synthetic Takeout to disk: zip (yazl, ZIP64 when needed), tgz (tar-stream + gzip) or a
 * plain folder. Streams file by file with backpressure, so memory stays bounded for any day count.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip, type Gzip } from 'node:zlib';
import yazl from 'yazl';
import tarStream from 'tar-stream';
import { DEFAULT_SEED, DEFAULT_TIMEZONE, mergeTotals, syntheticDay, syntheticProfile, type DayTotals } from './model.js';
import { takeoutDayTotals } from './figures.js';
import { TakeoutRenderer, type FileSink, type RenderCounts } from './takeout.js';
import { DAY_MS, HOUR_MS, addDays, dayNumber, zoneNamed } from '../time/index.js';

export const DEFAULT_END_DATE = '2026-04-30';

export interface GenerateTakeoutOptions {
  /** Output folder (created). Archives are written into it; `dir` writes `Takeout/…` under it. */
  out: string;
  format: 'zip' | 'tgz' | 'dir';
  /** Number of full local days, ending at `endDate`. */
  days: number;
  /** Last full local day (default 2026-04-30). */
  endDate?: string;
  seed?: number;
  /** IANA zone (default America/New_York). */
  timezone?: string;
  /** Split the archive into this many parts (`…-001.zip`, `…-002.zip`); archives only. */
  parts?: number;
  crlf?: boolean;
  bom?: boolean;
  /** Add the CSV layer of the day after `endDate` up to the export instant (default true). */
  partialDay?: boolean;
  /** Folder inside the archive (default `Takeout/Fitbit`; 2026 exports may use `Takeout/Google Health`). */
  root?: string;
  /** CSV families in their own folders (`Physical Activity_GoogleData/Heart Rate/…`), as some 2026 exports. */
  familyFolders?: boolean;
  /** Deflate level for zip/tgz (default 6). */
  compressionLevel?: number;
  onProgress?: (daysDone: number) => void;
}

export interface GenerateTakeoutStats {
  /** Rows written per layer and metric: `csv.heart_rate`, `json.steps`, … */
  samples: RenderCounts;
  /** Truth of the CSV layer over the whole export, per metric and data source. */
  totals: DayTotals;
  /** First and last full local day, and the export instant (UTC ms). */
  startDate: string;
  endDate: string;
  exportMs: number;
  /** Files inside the archive(s) and their uncompressed bytes. */
  entries: number;
  uncompressedBytes: number;
}

export interface GenerateTakeoutResult {
  /** Archive paths (zip/tgz) or written file paths (dir). */
  files: string[];
  stats: GenerateTakeoutStats;
}

/** The export instant: 12:00 UTC on the day after the last full local day. */
export function exportInstant(endDate: string): number {
  return (dayNumber(endDate) + 1) * DAY_MS + 12 * HOUR_MS;
}

/** `takeout-20260501T120000Z` for an export instant. */
export function archiveBaseName(exportMs: number): string {
  return `takeout-${new Date(exportMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')}`;
}

interface ArchiveWriter {
  add(path: string, data: Buffer): Promise<void>;
  close(): Promise<void>;
}

const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/** Local-time Date whose local fields equal the UTC fields of `ms` (zip DOS times use local fields). */
function dosDate(ms: number): Date {
  const d = new Date(ms);
  return new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
}

function zipWriter(file: string, mtimeMs: number, level: number): ArchiveWriter {
  const zip = new yazl.ZipFile();
  const out: WriteStream = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('close', () => resolve());
    out.on('error', reject);
    zip.on('error', reject);
    (zip.outputStream as Readable).on('error', reject);
  });
  done.catch(() => undefined);
  zip.outputStream.pipe(out);
  const mtime = dosDate(mtimeMs);
  // entries queued in yazl but not started yet: bounded by bytes
  const queue: { bytes: number; started: Promise<void> }[] = [];
  let queued = 0;
  return {
    async add(path, data) {
      let start!: () => void;
      const started = new Promise<void>((r) => {
        start = r;
      });
      // yazl keeps its entries (and this callback) until the end: drop the buffer once handed over
      let held: Buffer | null = data;
      zip.addReadStreamLazy(path, { mtime, mode: 0o100644, forceDosTimestamp: true, compressionLevel: level, size: data.length }, (cb) => {
        start();
        const d = held ?? Buffer.alloc(0);
        held = null;
        cb(null, Readable.from([d]));
      });
      queue.push({ bytes: data.length, started });
      queued += data.length;
      while (queued > MAX_QUEUED_BYTES && queue.length > 1) {
        const head = queue.shift();
        if (!head) break;
        await Promise.race([head.started, done]);
        queued -= head.bytes;
      }
    },
    async close() {
      zip.end();
      await done;
    },
  };
}

function tgzWriter(file: string, mtimeMs: number, level: number): ArchiveWriter {
  const pack = tarStream.pack();
  const gzip: Gzip = createGzip({ level });
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('close', () => resolve());
    out.on('error', reject);
    gzip.on('error', reject);
    pack.on('error', reject);
  });
  done.catch(() => undefined);
  gzip.pipe(out);
  let paused = false;
  let resume: (() => void) | null = null;
  pack.on('data', (chunk: unknown) => {
    if (!gzip.write(chunk) && !paused) {
      paused = true;
      pack.pause();
      gzip.once('drain', () => {
        paused = false;
        pack.resume();
        resume?.();
        resume = null;
      });
    }
  });
  const ended = new Promise<void>((r) =>
    pack.on('end', () => {
      gzip.end();
      r();
    }),
  );
  const mtime = new Date(mtimeMs);
  return {
    async add(path, data) {
      await new Promise<void>((resolve, reject) => {
        pack.entry({ name: path, size: data.length, mtime, mode: 0o644, uid: 0, gid: 0, uname: '', gname: '' }, data, (err) => (err ? reject(err) : resolve()));
      });
      while (paused) {
        await Promise.race([
          new Promise<void>((r) => {
            resume = r;
          }),
          done,
        ]);
      }
    },
    async close() {
      pack.finalize();
      await ended;
      await done;
    },
  };
}

/** Generates a synthetic Takeout export. Same options → same bytes. */
export async function generateTakeout(opts: GenerateTakeoutOptions): Promise<GenerateTakeoutResult> {
  const days = Math.floor(opts.days);
  if (!(days >= 1)) throw new Error(`days must be at least 1, got ${opts.days}`);
  const endDate = opts.endDate ?? DEFAULT_END_DATE;
  dayNumber(endDate);
  const seed = opts.seed ?? DEFAULT_SEED;
  const timezone = opts.timezone ?? DEFAULT_TIMEZONE;
  try {
    zoneNamed(timezone);
  } catch {
    throw new Error(`timezone: expected an IANA time zone name such as "America/New_York", got "${timezone}"`);
  }
  if (!['zip', 'tgz', 'dir'].includes(opts.format)) throw new Error(`format: expected zip, tgz or dir, got "${String(opts.format)}"`);
  const parts = opts.format === 'dir' ? 1 : Math.max(1, Math.floor(opts.parts ?? 1));
  const level = opts.compressionLevel ?? 6;
  const startDate = addDays(endDate, -(days - 1));
  const exportMs = exportInstant(endDate);
  await mkdir(opts.out, { recursive: true });

  const files: string[] = [];
  let entries = 0;
  let uncompressedBytes = 0;
  let writer: ArchiveWriter | null = null;
  let partNo = 0;
  const base = archiveBaseName(exportMs);
  const openPart = (): ArchiveWriter => {
    partNo++;
    const file = join(opts.out, `${base}-${String(partNo).padStart(3, '0')}.${opts.format}`);
    files.push(file);
    return opts.format === 'zip' ? zipWriter(file, exportMs, level) : tgzWriter(file, exportMs, level);
  };
  let wantPart = 1;
  const sink: FileSink = {
    async add(path, data) {
      entries++;
      uncompressedBytes += data.length;
      if (opts.format === 'dir') {
        const file = join(opts.out, path);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, data);
        files.push(file);
        return;
      }
      if (!writer || partNo < wantPart) {
        if (writer) await writer.close();
        writer = openPart();
      }
      await writer.add(path, data);
    },
  };

  const renderer = new TakeoutRenderer(
    { timezone, profile: syntheticProfile(seed), startDate, exportMs, crlf: opts.crlf, bom: opts.bom, root: opts.root, familyFolders: opts.familyFolders },
    sink,
  );
  const totals: DayTotals = {};
  try {
    for (let i = 0; i < days; i++) {
      const day = syntheticDay({ seed, date: addDays(startDate, i), timezone });
      await renderer.addDay(day);
      mergeTotals(totals, takeoutDayTotals(day));
      wantPart = Math.min(parts, 1 + Math.floor(((i + 1) * parts) / days));
      opts.onProgress?.(i + 1);
    }
    if (opts.partialDay !== false) {
      const day = syntheticDay({ seed, date: addDays(endDate, 1), timezone });
      await renderer.addPartialDay(day, exportMs);
      mergeTotals(totals, takeoutDayTotals(day, exportMs));
    }
    wantPart = parts;
    await renderer.finish();
  } finally {
    const w = writer as ArchiveWriter | null;
    if (w) await w.close();
  }
  return { files, stats: { samples: renderer.counts, totals, startDate, endDate, exportMs, entries, uncompressedBytes } };
}
