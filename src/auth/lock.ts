/**
 * A cross-process advisory file lock. `fs.open(path, 'wx')` creates the lock file only when it
 * does not exist (atomic on local file systems); the file holds `{pid, hostname, createdAt, id}`.
 *
 * - Waiters poll with exponential backoff (10 ms doubling to 250 ms, with jitter) until
 *   `timeoutMs`, then throw LockTimeoutError.
 * - A lock is stale when it is older than `staleMs`, or when its holder ran on this host and
 *   its pid is gone. Taking over a stale lock is serialised through a second short-lived lock
 *   (`<path>.takeover`) and re-checks the lock's id, so two waiters never both delete a lock and
 *   one of them never deletes the fresh lock of the other.
 * - Release removes the file only when it still holds our id (a holder that outlived `staleMs`
 *   and was taken over does not delete its successor's lock).
 *
 * Keep `fn` well below `staleMs`.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';

export interface FileLockOptions {
  /** How long to wait for the lock. Default 30 s. */
  timeoutMs?: number;
  /** Age after which a lock is considered abandoned. Default 60 s. */
  staleMs?: number;
}

export class LockTimeoutError extends Error {
  constructor(
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`could not take the lock ${path} within ${timeoutMs} ms (another fitbit-bridge process holds it; delete the file if no other process is running)`);
    this.name = 'LockTimeoutError';
  }
}

interface LockInfo {
  pid: number;
  hostname: string;
  createdAt: number;
  id: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function tryCreate(path: string, info: LockInfo): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await fh.writeFile(JSON.stringify(info));
  } finally {
    await fh.close();
  }
  return true;
}

/** The lock's content; when unreadable or half-written, the file's mtime stands in for createdAt. */
async function readLock(path: string): Promise<(Partial<LockInfo> & { createdAt: number }) | null> {
  try {
    const text = await readFile(path, 'utf8');
    try {
      const x = JSON.parse(text) as Partial<LockInfo>;
      if (typeof x.createdAt === 'number') return { ...x, createdAt: x.createdAt };
    } catch {
      // half-written: fall through to mtime
    }
    const st = await stat(path);
    return { createdAt: st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(lock: Partial<LockInfo> & { createdAt: number }, staleMs: number): boolean {
  if (Date.now() - lock.createdAt > staleMs) return true;
  return lock.hostname === hostname() && typeof lock.pid === 'number' && !pidAlive(lock.pid);
}

/** Removes the lock at `path` if it is (still) the stale one we looked at. */
async function takeOver(path: string, seen: Partial<LockInfo> & { createdAt: number }, staleMs: number): Promise<void> {
  const guard = `${path}.takeover`;
  const me: LockInfo = { pid: process.pid, hostname: hostname(), createdAt: Date.now(), id: randomBytes(8).toString('hex') };
  if (!(await tryCreate(guard, me))) {
    // Someone else is taking over. A guard abandoned mid-takeover (crash in a tiny window) is cleared after staleMs.
    const g = await readLock(guard);
    if (g && Date.now() - g.createdAt > staleMs) await unlink(guard).catch(() => undefined);
    return;
  }
  try {
    const now = await readLock(path);
    if (now && now.id === seen.id && now.createdAt === seen.createdAt && isStale(now, staleMs)) {
      await unlink(path).catch(() => undefined);
    }
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** Runs `fn` while holding the lock file `path`. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const staleMs = opts.staleMs ?? 60_000;
  const info: LockInfo = { pid: process.pid, hostname: hostname(), createdAt: 0, id: randomBytes(12).toString('hex') };
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    info.createdAt = Date.now();
    if (await tryCreate(path, info)) break;
    const held = await readLock(path);
    if (held === null) continue; // released between our open and read: retry at once
    if (isStale(held, staleMs)) {
      await takeOver(path, held, staleMs);
      await sleep(5);
      continue;
    }
    if (Date.now() >= deadline) throw new LockTimeoutError(path, timeoutMs);
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())) * (0.75 + Math.random() * 0.5));
    delay = Math.min(delay * 2, 250);
  }
  try {
    return await fn();
  } finally {
    const now = await readLock(path).catch(() => null);
    if (now && now.id === info.id) await unlink(path).catch(() => undefined);
  }
}
