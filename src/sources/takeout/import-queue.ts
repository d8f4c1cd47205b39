/**
 * One Takeout import at a time in a process: the drop folder (drop-folder.ts) and the web UI's
 * uploads (src/web/api/uploads.ts) both go through `oneImportAtATime`, so two exports are never
 * written into the store side by side (each import's summary stays its own).
 */
let tail: Promise<unknown> = Promise.resolve();

/** Runs `fn` after every import queued before it has ended (whether it failed or not). */
export function oneImportAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const run = tail.then(fn, fn);
  tail = run.catch(() => undefined);
  return run;
}
