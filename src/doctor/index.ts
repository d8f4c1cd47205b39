/**
 * `fitbit-bridge doctor`: checks the setup and says what to fix. The table of checks:
 *
 * | id                     | warn                                   | problem                                              |
 * |------------------------|----------------------------------------|------------------------------------------------------|
 * | config                 | –                                      | does not load / validate (other checks skipped)      |
 * | store                  | no store yet; older schema; WAL > 256 MiB | cannot open read-only; quick_check fails; not a fitbit-bridge store; newer schema |
 * | disk                   | < 1 GiB or < 10 % free; statfs fails   | < 200 MiB or < 5 % free                              |
 * | auth:<account>         | scopes missing                         | no token file; reauth-needed; expired; ends within a day; damaged file |
 * | token-files            | folder readable by others              | a token file open to group/others; folder writable by others |
 * | private-files          | store / dump files open to the group; dump folder listable | store file, -wal, -shm or a dump file open to others |
 * | drop-folder            | an export in it failed to import       | takeout.drop_folder missing / unreadable / not a folder |
 * | reach:token-endpoint   | HTTP 5xx                               | no HTTP answer (DNS, refused, TLS, timeout)          |
 * | reach:api              | HTTP 5xx                               | no HTTP answer                                       |
 * | mqtt                   | –                                      | connect fails (refused, credentials, TLS, timeout)   |
 * | remote-write           | HTTP 5xx                               | no answer; 401/403; 404/405; other 4xx               |
 *
 * The auth and reach:google checks only run with a Google client (google.client_id), mqtt only
 * when MQTT is on, remote-write only with remote_write.url; otherwise they say "not checked" (ok).
 * drop-folder only appears when takeout.drop_folder is set.
 * Exit code: 1 when any check is a problem, else 0.
 */
import { statfs } from 'node:fs/promises';
import { errText } from '../errors.js';
import { checkAuth } from './auth-check.js';
import { checkConfig, type ConfigCheckOptions } from './config-check.js';
import { checkDisk } from './disk-check.js';
import { checkDropFolder } from './drop-folder-check.js';
import { checkGoogleReachable, checkMqtt, checkRemoteWrite } from './reach-check.js';
import { checkPrivateFiles } from './private-files-check.js';
import { checkStore } from './store-check.js';
import { checkTokenFiles } from './token-files-check.js';
import type { CheckContext, CheckResult, CheckStatus, ConfigOrigin, DiskThresholds, DoctorDeps } from './types.js';

export type { CheckResult, CheckStatus, DoctorDeps, StatFsLike, DiskThresholds } from './types.js';
export { DEFAULT_DISK_THRESHOLDS } from './types.js';

export interface DoctorOptions extends ConfigCheckOptions {
  deps?: Partial<DoctorDeps>;
  disk?: DiskThresholds;
}

export interface DoctorReport {
  ok: boolean;
  counts: Record<CheckStatus, number>;
  origin: ConfigOrigin;
  checks: CheckResult[];
  exitCode: 0 | 1;
}

export function defaultDeps(): DoctorDeps {
  return { now: Date.now, statfs: (p) => statfs(p), timeoutMs: 5000, platform: process.platform };
}

/** Runs every check; never throws for what it finds (a check that crashes is reported as a problem). */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const deps: DoctorDeps = defaultDeps();
  for (const [k, v] of Object.entries(opts.deps ?? {})) if (v !== undefined) (deps as unknown as Record<string, unknown>)[k] = v;
  const cfg = checkConfig(opts);
  const checks: CheckResult[] = [cfg.result];
  if (cfg.config !== null) {
    const ctx: CheckContext = { config: cfg.config, deps };
    const guard = async (id: string, name: string, fn: () => CheckResult | CheckResult[] | Promise<CheckResult | CheckResult[]>): Promise<CheckResult[]> => {
      try {
        const r = await fn();
        return Array.isArray(r) ? r : [r];
      } catch (e) {
        return [{ id, name, status: 'problem', detail: `the check itself failed: ${errText(e)}`, fix: 'Run again with --log-level debug and report it' }];
      }
    };
    // local checks first (in order), the network ones side by side
    checks.push(...(await guard('store', 'store', () => checkStore(ctx))));
    checks.push(...(await guard('disk', 'disk space', () => checkDisk(ctx, opts.disk))));
    checks.push(...(await guard('auth', 'auth', () => checkAuth(ctx))));
    checks.push(...(await guard('token-files', 'token files', () => checkTokenFiles(ctx))));
    checks.push(...(await guard('private-files', 'private files', () => checkPrivateFiles(ctx))));
    checks.push(...(await guard('drop-folder', 'takeout drop folder', () => checkDropFolder(ctx) ?? [])));
    const net = await Promise.all([
      guard('reach:google', 'google endpoints', () => checkGoogleReachable(ctx)),
      guard('mqtt', 'mqtt broker', () => checkMqtt(ctx)),
      guard('remote-write', 'remote write', () => checkRemoteWrite(ctx)),
    ]);
    for (const r of net) checks.push(...r);
  }
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, problem: 0 };
  for (const c of checks) counts[c.status]++;
  return { ok: counts.problem === 0, counts, origin: cfg.origin, checks, exitCode: counts.problem > 0 ? 1 : 0 };
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok', warn: 'warn', problem: 'PROBLEM' };

/** The report as a table for the terminal: status, check, what was found; the fix below each warn / problem. */
export function formatDoctor(r: DoctorReport): string {
  const wStatus = Math.max(6, ...r.checks.map((c) => LABEL[c.status].length));
  const wName = Math.max(5, ...r.checks.map((c) => c.name.length));
  const out: string[] = [`  ${'status'.padEnd(wStatus)}  ${'check'.padEnd(wName)}  detail`];
  for (const c of r.checks) {
    out.push(`  ${LABEL[c.status].padEnd(wStatus)}  ${c.name.padEnd(wName)}  ${c.detail}`);
    if (c.status !== 'ok' && c.fix) out.push(`  ${''.padEnd(wStatus)}  ${''.padEnd(wName)}  fix: ${c.fix}`);
  }
  const n = (k: number, w: string): string => `${k} ${w}${k === 1 ? '' : 's'}`;
  out.push(
    '',
    r.counts.problem > 0
      ? `doctor: ${n(r.counts.problem, 'problem')}, ${n(r.counts.warn, 'warning')}, ${r.counts.ok} ok`
      : `doctor: no problems (${n(r.counts.warn, 'warning')}, ${r.counts.ok} ok)`,
  );
  return out.join('\n');
}
