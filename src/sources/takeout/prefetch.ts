/**
 * Read-ahead of archive entries in a worker thread (see reader-worker.ts): the same entries as
 * archive.ts `readEntries`, but the bytes of the files the importer reads are inflated in another
 * thread while the main thread parses and writes the previous ones. Memory stays bounded (a
 * window of unconsumed bytes; files above `wholeMax` come in chunks on demand).
 */
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { ArchiveError, readEntries, type ArchiveEntry, type EntryStream } from './archive.js';
import { classify } from './files.js';
import type { ReaderWorkerData } from './reader-worker.js';

type WorkerMsg =
  | { type: 'entry'; path: string; size: number; compressedSize: number; data?: Uint8Array; big?: boolean; error?: string }
  | { type: 'chunk'; data: Uint8Array }
  | { type: 'chunkEnd'; error?: string }
  | { type: 'fatal'; message: string; entry?: string; name?: string }
  | { type: 'done' };

export interface PrefetchOptions {
  pass: ReaderWorkerData['pass'];
  windowBytes?: number;
  wholeMax?: number;
  smallFile?: number;
  /** Stops the reading (the worker is terminated; the signal's reason is thrown). */
  signal?: AbortSignal | undefined;
}

function startWorker(workerData: ReaderWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./reader-worker.js', import.meta.url), { workerData });
  // running from the TypeScript sources (tests, dev): load tsx in the worker first
  const url = new URL('./reader-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`, { eval: true, workerData });
}

/** The entries of one pass ('csv': Google-layer CSV kinds only; 'rest': the others), read in this thread. */
export async function* passEntries(path: string, pass: ReaderWorkerData['pass'], signal?: AbortSignal): AsyncGenerator<ArchiveEntry> {
  for await (const e of readEntries([path], { signal })) {
    if (pass === 'all') {
      yield e;
      continue;
    }
    const c = classify(e.path);
    const csv = c.type === 'kind' && c.kind.id.startsWith('csv.');
    if ((pass === 'csv') === csv) yield e;
  }
}

/** Like passEntries, with the reading done in a worker thread; falls back to passEntries if the thread cannot start. */
export async function* prefetchedEntries(path: string, opts: PrefetchOptions): AsyncGenerator<ArchiveEntry> {
  let started = false;
  try {
    for await (const e of workerEntries(path, opts, () => {
      started = true;
    }))
      yield e;
  } catch (err) {
    if (started || !(err instanceof WorkerStartError)) throw err;
    yield* passEntries(path, opts.pass, opts.signal);
  }
}

class WorkerStartError extends Error {}

async function* workerEntries(path: string, opts: PrefetchOptions, onStart: () => void): AsyncGenerator<ArchiveEntry> {
  const data: ReaderWorkerData = {
    path,
    pass: opts.pass,
    windowBytes: opts.windowBytes ?? 24 * 1024 * 1024,
    wholeMax: opts.wholeMax ?? 16 * 1024 * 1024,
    smallFile: opts.smallFile ?? 64,
  };
  let w: Worker;
  try {
    w = startWorker(data);
  } catch (err) {
    throw new WorkerStartError(String(err));
  }
  let gotAny = false;
  const queue: WorkerMsg[] = [];
  let wake: (() => void) | null = null;
  let exited = false;
  let startError: string | null = null;
  w.on('message', (m: WorkerMsg) => {
    gotAny = true;
    queue.push(m);
    const f = wake;
    wake = null;
    f?.();
  });
  w.on('error', (e: Error) => {
    if (!gotAny) startError = e.message;
    queue.push({ type: 'fatal', message: `${path}: reader thread failed: ${e.message}` });
    const f = wake;
    wake = null;
    f?.();
  });
  w.on('exit', () => {
    exited = true;
    queue.push({ type: 'fatal', message: `${path}: reader thread stopped` });
    const f = wake;
    wake = null;
    f?.();
  });
  const signal = opts.signal;
  const onAbort = (): void => {
    const f = wake;
    wake = null;
    f?.();
  };
  signal?.addEventListener('abort', onAbort);
  const next = async (): Promise<WorkerMsg> => {
    for (;;) {
      signal?.throwIfAborted();
      if (queue.length > 0) return queue.shift() as WorkerMsg;
      await new Promise<void>((r) => {
        wake = r;
      });
    }
  };
  const ack = (bytes: number): void => {
    if (!exited) w.postMessage({ type: 'ack', bytes });
  };
  try {
    for (;;) {
      const m = await next();
      if (m.type === 'done') return;
      if (m.type === 'fatal') {
        if (startError !== null) throw new WorkerStartError(startError);
        throw new ArchiveError(path, m.message, m.entry);
      }
      onStart();
      if (m.type !== 'entry') continue; // stray chunk messages of an abandoned big entry
      let opened = false;
      let bigDone = !m.big;
      const chunks = async function* (): AsyncGenerator<Buffer> {
        for (;;) {
          const c = await next();
          if (c.type === 'chunk') {
            ack(c.data.byteLength);
            yield Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength);
          } else if (c.type === 'chunkEnd') {
            bigDone = true;
            if (c.error) throw new ArchiveError(path, c.error, m.path);
            return;
          } else if (c.type === 'fatal') {
            bigDone = true;
            throw new ArchiveError(path, c.message, c.entry);
          }
        }
      };
      const entry: ArchiveEntry = {
        archive: path,
        path: m.path,
        size: m.size,
        compressedSize: m.compressedSize,
        open: async (): Promise<EntryStream> => {
          if (opened) throw new ArchiveError(path, `${path}: entry ${m.path} opened twice`, m.path);
          opened = true;
          if (m.error) throw new ArchiveError(path, m.error, m.path);
          if (m.data) {
            ack(m.data.byteLength);
            return Readable.from([Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)]);
          }
          if (m.big) {
            w.postMessage({ type: 'pull' });
            return Readable.from(chunks());
          }
          // an entry the reader skipped (ignored / unknown and large): nothing to read
          return Readable.from([]);
        },
      };
      yield entry;
      if (!opened) {
        if (m.data) ack(m.data.byteLength);
        if (m.big) w.postMessage({ type: 'skip' });
      } else if (!bigDone) {
        // opened but not read to the end: drain the rest of its chunks
        for (;;) {
          const c = await next();
          if (c.type === 'chunk') ack(c.data.byteLength);
          else if (c.type === 'chunkEnd') break;
          else if (c.type === 'fatal') throw new ArchiveError(path, c.message, c.entry);
        }
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    w.removeAllListeners('exit');
    await w.terminate();
  }
}
