/**
 * Low-level reading of Takeout inputs: zip files (several parts of one export are simply several
 * inputs), .tgz files and extracted folders. Everything is streamed; nothing is extracted to disk.
 *
 * Entries are yielded for every regular file (directories skipped); matching by name is the
 * caller's job. Paths inside are '/' separated and relative (no leading './').
 */
import { constants as fsConstants, createReadStream, promises as fsp, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import yauzl from 'yauzl';
import tarStream from 'tar-stream';
import { BridgeError, errText } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';
import { clip } from '../../util/clip.js';

/** A tar-stream entry (a streamx Readable) as far as we use it. */
type TarEntry = NodeJS.ReadableStream & {
  header: { name: string; size?: number; type?: string | null };
  removeAllListeners(event?: string): unknown;
};

export type EntryStream = NodeJS.ReadableStream & AsyncIterable<Buffer>;

export interface ArchiveEntry {
  /** the path given by the user (zip/tgz file or folder) */
  archive: string;
  /** entry path inside, '/' separated, e.g. 'Takeout/Fitbit/Global Export Data/heart_rate-2026-04-06.json' */
  path: string;
  /** uncompressed bytes (best known) */
  size: number;
  /** bytes read from disk, for progress (== size for folders; for .tgz the compressed bytes read since the previous entry, approximate) */
  compressedSize: number;
  /**
   * Opens the entry's content. For a .tgz it must be called before the iterator advances; an
   * entry not opened is skipped, and an opened one not read to the end when the iterator
   * advances is abandoned (its stream is destroyed). A zip entry can be opened while the
   * iteration is still inside that zip (the zip is closed when the iterator leaves it). Stream errors are {@link ArchiveError}s
   * naming the archive and the entry.
   */
  open(): Promise<EntryStream>;
}

/**
 * What is wrong with a Takeout input: it cannot be read (missing, unreadable, truncated, not an
 * export: exit 4), or it is an export of another Fitbit profile than the account's (a usage
 * error: another --account or --force; exit 2).
 */
export type ArchiveProblem = 'unreadable' | 'other-profile';

export class ArchiveError extends BridgeError {
  constructor(
    public readonly file: string,
    message: string,
    public readonly entry?: string,
    public readonly problem: ArchiveProblem = 'unreadable',
  ) {
    super(message, '', problem === 'other-profile' ? EXIT.USAGE : EXIT.INPUT);
    this.name = 'ArchiveError';
  }
}

export type InputKind = 'zip' | 'tgz' | 'dir';

export interface InputInfo {
  path: string;
  kind: InputKind;
  bytes: number;
  /** Symbolic links in a folder (full paths): skipped, never followed (see walkFolder). */
  skippedLinks: string[];
}

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}

/**
 * Validates the inputs: each must exist, be readable and be recognised by its content (zip by
 * 'PK' magic, tgz by the gzip magic) or be a folder. A zip's central directory is checked too, so
 * a truncated download fails here. Errors are ArchiveErrors naming the path.
 */
export async function listInputs(paths: string[], opts: WalkOptions = {}): Promise<InputInfo[]> {
  const out: InputInfo[] = [];
  for (const p of paths) {
    opts.signal?.throwIfAborted();
    let st;
    try {
      st = await fsp.stat(p);
    } catch (e) {
      const code = errCode(e);
      throw new ArchiveError(
        p,
        code === 'ENOENT' ? `${p}: no such file or folder` : code === 'EACCES' ? `${p}: permission denied` : `${p}: cannot access: ${errText(e)}`,
      );
    }
    if (st.isDirectory()) {
      try {
        await fsp.access(p, fsConstants.R_OK | fsConstants.X_OK);
        const w = await walkFolder(p, opts);
        out.push({ path: p, kind: 'dir', bytes: w.files.reduce((a, f) => a + f.size, 0), skippedLinks: w.links });
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        throw e instanceof ArchiveError ? e : new ArchiveError(p, `${p}: cannot read folder: ${errText(e)}`);
      }
      continue;
    }
    if (!st.isFile()) throw new ArchiveError(p, `${p}: not a regular file or folder`);
    if (st.size === 0) throw new ArchiveError(p, `${p}: the file is empty (an incomplete download?)`);
    const magic = Buffer.alloc(4);
    try {
      const fh = await fsp.open(p, 'r');
      try {
        await fh.read(magic, 0, 4, 0);
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw new ArchiveError(p, errCode(e) === 'EACCES' ? `${p}: permission denied` : `${p}: cannot read: ${errText(e)}`);
    }
    if (magic[0] === 0x50 && magic[1] === 0x4b && (magic[2] === 3 || magic[2] === 5 || magic[2] === 7)) {
      const zf = await openZip(p);
      try {
        await checkZipNames(p, zf, opts);
      } finally {
        zf.close();
      }
      out.push({ path: p, kind: 'zip', bytes: st.size, skippedLinks: [] });
    } else if (magic[0] === 0x1f && magic[1] === 0x8b) {
      out.push({ path: p, kind: 'tgz', bytes: st.size, skippedLinks: [] });
    } else {
      throw new ArchiveError(
        p,
        `${p}: not a recognised Takeout archive (expected a .zip or .tgz file, or an extracted folder; the content is neither zip nor gzip)`,
      );
    }
  }
  return out;
}

/** UTC ms of the export: from a Takeout name like takeout-20260415T120000Z-001.zip, else the file's/folder's mtime. */
export function exportTimeOf(path: string): number {
  const m = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/i.exec(basename(path));
  if (m) {
    const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
    if (Number.isFinite(t) && +m[2]! >= 1 && +m[2]! <= 12 && +m[3]! >= 1 && +m[3]! <= 31 && +m[4]! < 24) return t;
  }
  try {
    return statSync(path).mtimeMs;
  } catch (e) {
    throw new ArchiveError(path, `${path}: cannot read: ${errText(e)}`);
  }
}

/** Yields the entries of all inputs, in the order given. Inputs are validated first (see listInputs). */
export async function* readEntries(paths: string[], opts: WalkOptions = {}): AsyncGenerator<ArchiveEntry> {
  const inputs = await listInputs(paths, opts);
  for (const input of inputs) {
    if (input.kind === 'zip') yield* zipEntries(input.path);
    else if (input.kind === 'tgz') yield* tgzEntries(input.path);
    else yield* dirEntries(input.path, opts);
  }
}

// ------------------------------------------------------------------------------------- zip

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false, decodeStrings: true }, (err, zf) => {
      if (err || !zf) {
        const msg = errText(err);
        const truncated = /central directory|end of central|signature not found|not enough|unexpected EOF|truncated/i.test(msg);
        reject(
          new ArchiveError(
            file,
            truncated ? `${file}: the zip looks truncated or incomplete (is it still downloading?): ${msg}` : `${file}: cannot read zip: ${msg}`,
          ),
        );
        return;
      }
      resolve(zf);
    });
  });
}

function nextZipEntry(zf: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const onEntry = (e: yauzl.Entry): void => {
      done();
      resolve(e);
    };
    const onEnd = (): void => {
      done();
      resolve(null);
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    const done = (): void => {
      zf.removeListener('entry', onEntry);
      zf.removeListener('end', onEnd);
      zf.removeListener('error', onError);
    };
    zf.on('entry', onEntry);
    zf.once('end', onEnd);
    zf.once('error', onError);
    zf.readEntry();
  });
}

/**
 * A zip entry name that points outside the archive (yauzl refuses `../` components and absolute
 * paths, and backslashes when they are not converted), as a message that says so; other
 * central-directory errors as a corrupt directory.
 */
function zipDirectoryError(file: string, zf: yauzl.ZipFile, err: unknown): ArchiveError {
  const msg = errText(err);
  const m = /^(absolute path|invalid relative path|invalid characters in fileName): ([\s\S]*)$/.exec(msg);
  if (m) {
    const why =
      m[1] === 'absolute path' ? 'is an absolute path' : m[1] === 'invalid relative path' ? 'climbs out of the archive with ../' : 'holds a backslash';
    return new ArchiveError(
      file,
      `${file}: refused: entry ${JSON.stringify(clip(m[2] ?? ''))} ${why}: its path escapes the archive (a Google Takeout export never has such names, and nothing is ever extracted to disk); not imported`,
    );
  }
  return new ArchiveError(file, `${file}: corrupt zip directory (after ${zf.entriesRead} entries); it may be truncated or damaged: ${clip(msg)}`);
}

/** Why a zip entry name (raw bytes; a backslash counts as '/') escapes the archive, or null. */
function escapingName(raw: Buffer): string | null {
  const name = raw.toString('latin1').replace(/\\/g, '/'); // '.' and '/' are the same bytes in CP437 and UTF-8
  if (/^[a-zA-Z]:/.test(name) || name.startsWith('/')) return 'absolute path';
  if (name.split('/').includes('..')) return 'invalid relative path';
  return null;
}

/**
 * Reads the whole central directory (names only, no data; in large reads, not per entry): a name
 * escaping the archive — in the name field or in an Info-ZIP Unicode Path extra field, which
 * yauzl prefers — refuses the archive before anything is imported. Stricter than yauzl's own
 * check (which still applies while reading, see zipDirectoryError). The directory's layout
 * errors are left to yauzl.
 */
async function checkZipNames(file: string, zf: yauzl.ZipFile, opts: WalkOptions): Promise<void> {
  const z = zf as { readEntryCursor?: unknown; fileSize?: unknown };
  if (typeof z.readEntryCursor !== 'number' || typeof z.fileSize !== 'number') return;
  const end = z.fileSize;
  const fh = await fsp.open(file, 'r');
  try {
    const CHUNK = 1 << 20;
    let buf = Buffer.alloc(0);
    let bufAt = z.readEntryCursor; // file offset of buf[0]
    let pos = z.readEntryCursor;
    const need = async (n: number): Promise<boolean> => {
      if (pos - bufAt + n <= buf.length) return true;
      const keep = buf.subarray(pos - bufAt);
      const want = Math.max(n, CHUNK);
      const more = Buffer.alloc(Math.min(want, Math.max(0, end - (bufAt + buf.length))));
      const { bytesRead } = await fh.read(more, 0, more.length, bufAt + buf.length);
      buf = Buffer.concat([keep, more.subarray(0, bytesRead)]);
      bufAt = pos;
      return buf.length >= n;
    };
    for (let i = 0; i < zf.entryCount; i++) {
      if (i % 1024 === 0) opts.signal?.throwIfAborted();
      if (!(await need(46))) return;
      const o = pos - bufAt;
      if (buf.readUInt32LE(o) !== 0x02014b50) return; // yauzl reports it
      const nameLen = buf.readUInt16LE(o + 28);
      const extraLen = buf.readUInt16LE(o + 30);
      const commentLen = buf.readUInt16LE(o + 32);
      if (!(await need(46 + nameLen + extraLen + commentLen))) return;
      const p = pos - bufAt + 46;
      const raw = buf.subarray(p, p + nameLen);
      const names = [raw];
      // Info-ZIP Unicode Path extra field (0x7075): version 1, CRC-32, UTF-8 name
      for (let x = p + nameLen; x + 4 <= p + nameLen + extraLen;) {
        const id = buf.readUInt16LE(x);
        const len = buf.readUInt16LE(x + 2);
        if (id === 0x7075 && len >= 6 && buf[x + 4] === 1) names.push(buf.subarray(x + 9, x + 4 + len));
        x += 4 + len;
      }
      for (const n of names) {
        const why = escapingName(n);
        if (why) throw zipDirectoryError(file, zf, new Error(`${why}: ${n.toString('utf8')}`));
      }
      pos += 46 + nameLen + extraLen + commentLen;
    }
  } finally {
    await fh.close();
  }
}

/** Passes data through and checks the CRC-32 at the end (yauzl does not). */
class CrcCheck extends Transform {
  private crc = 0;
  private readonly hasCrc = typeof (zlib as { crc32?: unknown }).crc32 === 'function';
  constructor(
    private readonly expected: number,
    private readonly fail: (msg: string) => Error,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.hasCrc) this.crc = zlib.crc32(chunk, this.crc);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.hasCrc && this.crc >>> 0 !== this.expected >>> 0) {
      cb(this.fail(`CRC-32 mismatch (the entry is corrupt)`));
      return;
    }
    cb();
  }
}

async function* zipEntries(file: string): AsyncGenerator<ArchiveEntry> {
  const zf = await openZip(file);
  try {
    for (;;) {
      let e: yauzl.Entry | null;
      try {
        e = await nextZipEntry(zf);
      } catch (err) {
        throw zipDirectoryError(file, zf, err);
      }
      if (e === null) return;
      const entry = e;
      const name = entry.fileName.replace(/\\/g, '/').replace(/^\.\//, '');
      if (name.endsWith('/')) continue;
      const fail = (msg: string): ArchiveError => new ArchiveError(file, `${file}: entry ${clip(name)}: ${msg}`, name);
      yield {
        archive: file,
        path: name,
        size: entry.uncompressedSize,
        compressedSize: entry.compressedSize,
        open: () =>
          new Promise<EntryStream>((resolve, reject) => {
            if (entry.isEncrypted()) {
              reject(fail('the entry is encrypted'));
              return;
            }
            zf.openReadStream(entry, (err, rs) => {
              if (err || !rs) {
                reject(fail(errText(err)));
                return;
              }
              const out = new CrcCheck(entry.crc32, fail);
              rs.on('error', (er: Error) => out.destroy(er instanceof ArchiveError ? er : fail(errText(er))));
              rs.pipe(out);
              resolve(out);
            });
          }),
      };
    }
  } finally {
    zf.close();
  }
}

// ------------------------------------------------------------------------------------- tgz

async function* tgzEntries(file: string): AsyncGenerator<ArchiveEntry> {
  const fileStream = createReadStream(file, { highWaterMark: 256 * 1024 });
  const gunzip = zlib.createGunzip();
  const extract = tarStream.extract();
  let readBytes = 0;
  let reported = 0;
  fileStream.on('data', (b: Buffer | string) => {
    readBytes += b.length;
  });
  const wrap = (e: unknown): ArchiveError => {
    if (e instanceof ArchiveError) return e;
    const msg = errText(e);
    return new ArchiveError(
      file,
      /unexpected end|Unexpected end of data|premature|truncated/i.test(msg)
        ? `${file}: the archive looks truncated or incomplete (is it still downloading?): ${clip(msg)}; the files before the damage were imported (each one whole), the rest was not read: download it again and import it again`
        : `${file}: cannot read tgz: ${clip(msg)}`,
    );
  };
  fileStream.on('error', (e) => extract.destroy(wrap(e)));
  gunzip.on('error', (e) => extract.destroy(wrap(e)));
  fileStream.pipe(gunzip).pipe(extract);

  let current: { src: TarEntry; out: PassThrough | null; ended: boolean } | null = null;
  const settle = (): void => {
    if (!current) return;
    const c = current;
    current = null;
    if (c.ended) return;
    c.src.removeAllListeners('data');
    if (c.out && !c.out.destroyed) c.out.destroy();
    c.src.on('data', () => {
      /* drain */
    });
    c.src.resume();
  };
  try {
    for await (const src of extract as AsyncIterable<TarEntry>) {
      settle();
      const h = src.header;
      const type = h.type ?? 'file';
      if (type !== 'file' && type !== 'contiguous-file') {
        src.resume();
        continue;
      }
      const name = h.name
        .replace(/\\/g, '/')
        .replace(/^(\.\/)+/, '')
        .replace(/^\/+/, '');
      const fail = (msg: string): ArchiveError => new ArchiveError(file, `${file}: entry ${clip(name)}: ${msg}`, name);
      const c: { src: TarEntry; out: PassThrough | null; ended: boolean } = { src, out: null, ended: false };
      current = c;
      src.on('end', () => {
        c.ended = true;
      });
      src.on('error', (e: Error) => {
        if (c.out && !c.out.destroyed) c.out.destroy(fail(wrap(e).message));
      });
      const compressed = Math.max(0, readBytes - reported);
      reported = readBytes;
      yield {
        archive: file,
        path: name,
        size: h.size ?? 0,
        compressedSize: compressed,
        open: async () => {
          if (current !== c) throw fail('open() must be called before the iterator advances (tgz entries are read sequentially)');
          if (c.out) throw fail('the entry was already opened');
          const out = new PassThrough();
          c.out = out;
          src.on('data', (chunk: Buffer) => {
            if (!out.destroyed && !out.write(chunk)) src.pause();
          });
          out.on('drain', () => src.resume());
          src.on('end', () => out.end());
          return out;
        },
      };
      // The consumer asked for the next entry: drain / abandon this one so the tar stream can move on.
      settle();
    }
    settle();
  } catch (e) {
    const err = wrap(e);
    if (current) {
      const c: { out: PassThrough | null } = current;
      if (c.out && !c.out.destroyed) c.out.destroy(err);
    }
    throw err;
  } finally {
    if (!extract.destroyed) extract.destroy();
    fileStream.destroy();
    gunzip.destroy();
  }
}

// ---------------------------------------------------------------------------------- folder

/** A regular file found by {@link walkFolder}. */
export interface WalkedFile {
  /** '/' separated path below the root */
  rel: string;
  full: string;
  size: number;
  mtimeMs: number;
  /** device and inode seen by the walk: opening checks it is still the same file */
  dev: number;
  ino: number;
}

export interface FolderWalk {
  files: WalkedFile[];
  /** Symbolic links below the root (full paths): never followed, never read. */
  links: string[];
  /** Folders seen twice (a bind mount of a folder inside itself): not walked again. */
  loops: string[];
}

export interface WalkOptions {
  /** Stops the walk (throws the signal's reason) between entries. */
  signal?: AbortSignal | undefined;
}

/**
 * Every regular file below `root` (the root itself may be a link: the user named it), in name
 * order. Symbolic links below the root are never followed (a link may point anywhere: out of the
 * tree, at a secret, at a FIFO, or back up the tree) and are listed in `links`; each folder is
 * walked once (device + inode), so a folder mounted inside itself cannot loop. FIFOs, sockets and
 * devices are skipped. The walk yields to the event loop and checks `signal` at every entry.
 */
export async function walkFolder(root: string, opts: WalkOptions = {}): Promise<FolderWalk> {
  const signal = opts.signal;
  const out: FolderWalk = { files: [], links: [], loops: [] };
  const seen = new Set<string>();
  const rootSt = await fsp.stat(root);
  seen.add(`${rootSt.dev}:${rootSt.ino}`);
  const visit = async (rel: string): Promise<void> => {
    signal?.throwIfAborted();
    const dir = rel ? join(root, rel) : root;
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch (e) {
      throw new ArchiveError(root, `${root}: cannot read folder ${dir}: ${errText(e)}`);
    }
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const n of names) {
      signal?.throwIfAborted();
      const r = rel ? `${rel}/${n}` : n;
      const full = join(root, r);
      let st;
      try {
        st = await fsp.lstat(full); // never follows a link
      } catch {
        continue; // vanished
      }
      if (st.isSymbolicLink()) out.links.push(full);
      else if (st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`;
        if (seen.has(id)) {
          out.loops.push(full);
          continue;
        }
        seen.add(id);
        await visit(r);
      } else if (st.isFile()) out.files.push({ rel: r, full, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino });
    }
  };
  await visit('');
  return out;
}

/** Flags opening a file found by a walk: never through a link, never blocking on a FIFO put in its place. */
const OPEN_WALKED = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);

/**
 * Opens a file found by {@link walkFolder} for reading, and checks it is still that regular file
 * (not replaced by a link, a FIFO or another file since the walk). The error names the path, not the content.
 */
export async function openWalkedFile(f: Pick<WalkedFile, 'full' | 'dev' | 'ino'>): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(f.full, OPEN_WALKED);
  } catch (e) {
    throw errCode(e) === 'ELOOP' ? new Error(`${f.full} became a symbolic link since the folder was listed; not read`) : e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.dev !== f.dev || st.ino !== f.ino)
      throw new Error(`${f.full} was replaced since the folder was listed (not the same regular file); not read`);
  } catch (e) {
    await fh.close();
    throw e;
  }
  return fh;
}

async function* dirEntries(root: string, opts: WalkOptions): AsyncGenerator<ArchiveEntry> {
  for (const f of (await walkFolder(root, opts)).files) {
    opts.signal?.throwIfAborted();
    yield {
      archive: root,
      path: f.rel,
      size: f.size,
      compressedSize: f.size,
      open: async () => {
        let fh: FileHandle;
        try {
          fh = await openWalkedFile(f);
        } catch (e) {
          throw new ArchiveError(root, `${root}: entry ${f.rel}: ${errText(e)}`, f.rel);
        }
        return fh.createReadStream({ highWaterMark: 256 * 1024 }) as EntryStream;
      },
    };
  }
}
