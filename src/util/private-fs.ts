/**
 * Private files (issue 13): everything the bridge creates that holds health data or state — the
 * store and its -wal / -shm, dump files and folders, export files, state and journal files — is
 * created mode 0600 (files) / 0700 (folders). The mode is given at creation, so a stricter umask
 * of the user still narrows it (never widened by a chmod); a file that exists already keeps its
 * mode (`fitbit-bridge doctor` reports loose ones and prints the chmod that fixes them). A file
 * replaced through a temp file + rename keeps the mode of the file it replaces.
 *
 * SQLite creates the -wal and -shm files with the mode of the database file, so creating the
 * database file 0600 before SQLite opens it is enough for all three.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates `dir` and any missing parents mode 0700 (less under a stricter umask); existing folders are left as they are. */
export function mkdirPrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Creates an empty file mode 0600 when `path` does not exist; an existing file is left alone. */
export function ensurePrivateFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  closeSync(fd);
}

/**
 * For a temp file about to replace `target` by rename (created with {@link PRIVATE_FILE_MODE}):
 * gives it the mode of the file it replaces, so replacing never changes a file's mode. Nothing
 * when `target` does not exist yet (the new file stays private).
 */
export function keepModeOf(target: string, tmp: string): void {
  let mode: number;
  try {
    mode = statSync(target).mode & 0o7777;
  } catch {
    return;
  }
  if (mode !== (statSync(tmp).mode & 0o7777)) chmodSync(tmp, mode);
}

/**
 * A fresh temp file name beside `target` for a write-then-rename: unique per call, so it is created
 * (flag `wx`) with {@link PRIVATE_FILE_MODE}, never a stale temp file of a crashed run reused with
 * whatever mode that one had.
 */
export function tempPathFor(target: string): string {
  return `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}
