/**
 * What every check of `fitbit-bridge doctor` returns, and what the checks may call. Everything
 * that touches the world in a way a test cannot arrange for real (the clock, the free space of a
 * disk, the platform) is injected through {@link DoctorDeps}, so "expired token" and "full disk"
 * are tested with the real checks.
 */
import type { StatsFs } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import { errText, isAbortReason } from '../errors.js';

export type CheckStatus = 'ok' | 'warn' | 'problem';

export interface CheckResult {
  /** Stable id for scripts (`config`, `auth:alice`, `reach:token-endpoint`, `disk`, …). */
  id: string;
  /** Short label for the table (`auth alice`). */
  name: string;
  status: CheckStatus;
  /** What was found, one line. Never holds secrets. */
  detail: string;
  /** What to do about a warn / problem (absent when ok). */
  fix?: string;
  /** Machine-readable facts (bytes, epoch ms, status codes) for --json. */
  data?: Record<string, unknown>;
}

/** The parts of fs.statfs the disk check reads (bytes = blocks × bsize). */
export type StatFsLike = Pick<StatsFs, 'bsize' | 'blocks' | 'bavail'>;

export interface DoctorDeps {
  /** Epoch ms (token expiry). */
  now: () => number;
  /** Free space of the file system holding a path (fs.promises.statfs). */
  statfs: (path: string) => Promise<StatFsLike>;
  /** Timeout of each network probe (HTTP, MQTT connect), ms. */
  timeoutMs: number;
  /** The platform (file modes are not checked on Windows). */
  platform: NodeJS.Platform;
}

/** Where the configuration came from, for the config check. */
export interface ConfigOrigin {
  /** The YAML file read, or null (defaults and environment only). */
  file: string | null;
  /** FITBIT_BRIDGE_* variables that set keys (names only). */
  env: string[];
  /** Flags that set keys (`--db`). */
  flags: string[];
}

/** What the checks after the config check work with. */
export interface CheckContext {
  config: LoadedConfig;
  deps: DoctorDeps;
}

/** Free-space thresholds of the disk check. */
export interface DiskThresholds {
  /** problem below this many free bytes or this fraction free. */
  problemBytes: number;
  problemFraction: number;
  /** warn below these. */
  warnBytes: number;
  warnFraction: number;
}

export const DEFAULT_DISK_THRESHOLDS: DiskThresholds = {
  problemBytes: 200 * 1024 * 1024,
  problemFraction: 0.05,
  warnBytes: 1024 * 1024 * 1024,
  warnFraction: 0.1,
};

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/**
 * An error for a check's detail: errText (src/errors.ts) with the errno code in front, the real
 * reason of a failed fetch() and 'timed out' for an aborted one.
 */
/** A file mode as four octal digits (`0644`), for messages. */
export function fmtMode(m: number): string {
  return (m & 0o777).toString(8).padStart(4, '0');
}

export function errDetail(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const code = (e as NodeJS.ErrnoException).code;
    // fetch() wraps the real reason (ECONNREFUSED, ENOTFOUND, a TLS error) in its cause (a TypeError)
    if (cause instanceof Error && e instanceof TypeError && e.message === 'fetch failed') return errDetail(cause);
    if (isAbortReason(e)) return 'timed out';
    return code !== undefined && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return errText(e);
}
