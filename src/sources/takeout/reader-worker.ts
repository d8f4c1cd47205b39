/**
 * Worker thread of the importer: reads (inflates) one input's entries ahead of the main thread,
 * so inflating the next files overlaps parsing and writing the current one. Entries the importer
 * will read are sent whole (up to WHOLE_MAX bytes) or, when larger, in chunks on demand; at most
 * `windowBytes` of unconsumed data are in flight (bounded memory).
 *
 * Protocol (worker → main): {type:'entry', path, size, compressedSize, data?: Uint8Array,
 * big?: true, error?} | {type:'chunk', data} | {type:'chunkEnd', error?} | {type:'fatal', message,
 * entry?} | {type:'done'}; (main → worker): {type:'ack', bytes} | {type:'pull'} | {type:'skip'}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errText } from '../../errors.js';
import { ArchiveError, readEntries } from './archive.js';
import { classify } from './files.js';

export interface ReaderWorkerData {
  path: string;
  /** 'csv': only Google-layer CSV kinds; 'rest': everything else; 'all': everything. */
  pass: 'csv' | 'rest' | 'all';
  windowBytes: number;
  wholeMax: number;
  smallFile: number;
}

type Msg = { type: 'ack'; bytes: number } | { type: 'pull' } | { type: 'skip' };

const port = parentPort;
if (port) {
  const wd = workerData as ReaderWorkerData;
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  let bigWaiter: ((m: Msg) => void) | null = null;
  port.on('message', (m: Msg) => {
    if (m.type === 'ack') {
      inFlight -= m.bytes;
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    } else if (bigWaiter) {
      const f = bigWaiter;
      bigWaiter = null;
      f(m);
    }
  });
  const room = async (): Promise<void> => {
    while (inFlight > wd.windowBytes) await new Promise<void>((r) => waiters.push(r));
  };
  const nextBig = (): Promise<Msg> =>
    new Promise((r) => {
      bigWaiter = r;
    });

  const run = async (): Promise<void> => {
    try {
      for await (const e of readEntries([wd.path])) {
        const c = classify(e.path);
        const csv = c.type === 'kind' && c.kind.id.startsWith('csv.');
        if (wd.pass === 'csv' && !csv) continue;
        if (wd.pass === 'rest' && csv) continue;
        const head = { type: 'entry' as const, path: e.path, size: e.size, compressedSize: e.compressedSize };
        const wanted = c.type === 'kind' || (c.type === 'unknown' && e.size <= wd.smallFile);
        if (!wanted) {
          port.postMessage(head);
          continue;
        }
        if (e.size > wd.wholeMax) {
          port.postMessage({ ...head, big: true });
          const m = await nextBig();
          if (m.type !== 'pull') continue;
          try {
            for await (const chunk of await e.open()) {
              await room();
              const b = chunk;
              const data = new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
              inFlight += data.byteLength;
              port.postMessage({ type: 'chunk', data }, [data.buffer]);
            }
            port.postMessage({ type: 'chunkEnd' });
          } catch (err) {
            port.postMessage({ type: 'chunkEnd', error: errText(err) });
          }
          continue;
        }
        await room();
        try {
          const parts: Buffer[] = [];
          let n = 0;
          for await (const chunk of await e.open()) {
            parts.push(chunk);
            n += chunk.length;
          }
          const data = new Uint8Array(n);
          let o = 0;
          for (const p of parts) {
            data.set(p, o);
            o += p.length;
          }
          inFlight += n;
          port.postMessage({ ...head, data }, [data.buffer]);
        } catch (err) {
          port.postMessage({ ...head, error: errText(err) });
        }
      }
      port.postMessage({ type: 'done' });
    } catch (err) {
      port.postMessage({ type: 'fatal', message: errText(err), entry: err instanceof ArchiveError ? err.entry : undefined, name: (err as Error)?.name });
    }
  };
  void run();
}
