/**
 * GET /api/status: the bridge at a glance — per account its authorisation (and when it ends), the
 * last sync, per data type the last successful fetch and the newest sample, the backfill's
 * progress (src/sources/google-health/plan.ts, the same estimate as `sync --plan`), the sinks'
 * state and lag, recent imports, and every problem with the same advice `doctor` gives.
 *
 * The problems come from doctor's local checks (src/doctor: auth, token files, disk, private files,
 * drop folder; never the network probes), run at most every PROBLEMS_TTL_MS, plus what the running
 * bridge knows (an account's last sync error, a sink that is down).
 */
import { readTokenFileSync } from '../../auth/token-store.js';
import { checkAuth } from '../../doctor/auth-check.js';
import { checkDisk } from '../../doctor/disk-check.js';
import { checkDropFolder } from '../../doctor/drop-folder-check.js';
import { checkPrivateFiles } from '../../doctor/private-files-check.js';
import { checkTokenFiles } from '../../doctor/token-files-check.js';
import { defaultDeps, type CheckResult } from '../../doctor/index.js';
import { errText } from '../../errors.js';
import { METRICS } from '../../metrics/registry.js';
import type { ExtensionContext } from '../../run/extension.js';
import { resolveTimezone } from '../../sinks/latest.js';
import { readCoverage } from '../../sources/google-health/coverage.js';
import { DATA_TYPES } from '../../sources/google-health/datatypes.js';
import { planSync } from '../../sources/google-health/plan.js';
import { addDays, zoneNamed } from '../../time/index.js';
import type { ImportJob } from './uploads.js';

export interface Problem {
  severity: 'error' | 'warn';
  account: string | null;
  what: string;
  advice: string;
}

export interface AccountStatusJson {
  name: string;
  /**
   * The account's IANA zone for showing times and local days: accounts[].timezone, else
   * takeout.timezone, else the one the store learnt (API settings, Takeout profile); null when none
   * is known (the pages then use the browser's zone and say so; nothing is guessed).
   */
  timezone: string | null;
  live: boolean;
  auth: { state: string; expires_at: number | null };
  last_sync_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  quota_left: number | null;
  data_types: { metric: string; last_success_at: number | null; newest_sample_at: number | null }[];
  backfill: { oldest_date: string | null; target_date: string | null; days_left: number; eta_s: number | null } | null;
}

export interface SinkJson {
  name: string;
  up: boolean;
  lag_s: number;
  pending: number;
  last_delivery_at: number | null;
}

/**
 * An account's zone for the API's local times: accounts[].timezone, else takeout.timezone, else
 * the zone the store learnt; `from: 'default'` (UTC) when none is known.
 */
export function accountZone(ctx: Pick<ExtensionContext, 'config' | 'store'>, account: string): ReturnType<typeof resolveTimezone> {
  const acct = ctx.config.accounts.find((a) => a.name === account);
  return resolveTimezone(ctx.store, account, acct?.timezone ?? ctx.config.takeout.timezone ?? null);
}

/** How long doctor's local checks are reused (ms). */
export const PROBLEMS_TTL_MS = 30_000;
/** How long a backfill estimate is reused (ms; it reads every data type's coverage record). */
const BACKFILL_TTL_MS = 10_000;

export class StatusService {
  private problems: { at: number; list: Problem[] } | null = null;
  private problemsRunning: Promise<Problem[]> | null = null;
  private readonly backfill = new Map<string, { at: number; seq: number; value: AccountStatusJson['backfill'] }>();

  constructor(
    private readonly ctx: ExtensionContext,
    private readonly clock: () => number,
    private readonly imports: () => ImportJob[],
  ) {}

  async status(): Promise<Record<string, unknown>> {
    const { ctx } = this;
    const now = this.clock();
    const live = Boolean(ctx.config.google.client_id);
    const series = ctx.store.listSeries();
    const accounts: AccountStatusJson[] = ctx.accounts().map((a) => {
      let expires: number | null = null;
      if (live && a.auth !== 'missing') {
        try {
          expires = readTokenFileSync(ctx.config.google.token_dir, a.name)?.tokens.refreshTokenExpiresAt ?? null;
        } catch {
          expires = null; // a damaged token file: doctor's auth check says so in problems
        }
      }
      const mine = series.filter((s) => s.account === a.name && s.count > 0);
      const dataTypes: AccountStatusJson['data_types'] = [];
      for (const m of METRICS) {
        const newest = mine
          .filter((s) => s.metric === m.id)
          .reduce<number | null>((x, s) => (s.last !== null && (x === null || s.last > x) ? s.last : x), null);
        const dt = live && a.live ? DATA_TYPES.find((t) => t.metrics.includes(m.id)) : undefined;
        let lastOk: number | null = null;
        if (dt) {
          const cov = readCoverage(ctx.store, a.name, dt.id);
          for (const seg of cov.segments) if (lastOk === null || seg.at > lastOk) lastOk = seg.at;
        }
        if (newest === null && lastOk === null) continue;
        dataTypes.push({ metric: m.id, last_success_at: lastOk, newest_sample_at: newest });
      }
      const zone = accountZone(ctx, a.name);
      return {
        name: a.name,
        timezone: zone.from === 'default' ? null : zone.timezone,
        live: a.live,
        auth: { state: a.auth, expires_at: expires },
        last_sync_at: a.lastSyncAt,
        last_success_at: a.lastSuccessAt,
        last_error: a.lastError,
        quota_left: a.quotaLeft,
        data_types: dataTypes,
        backfill: live && a.live ? this.backfillOf(a.name, zone.timezone, now) : null,
      };
    });
    const sinks: SinkJson[] = [];
    for (const s of ctx.sinks()) {
      const st = s.sinkStatus?.() ?? null;
      if (st === null) continue;
      sinks.push({ name: st.sink, up: st.up, lag_s: st.lagSeconds, pending: st.pendingChanges, last_delivery_at: st.lastDeliveryAt });
    }
    const problems = [...(await this.doctorProblems(now))];
    for (const a of accounts) {
      if (a.last_error !== null)
        problems.push({
          severity: 'error',
          account: a.name,
          what: `the last sync failed: ${a.last_error}`,
          advice: 'It is tried again at the next scheduled sync; run `fitbit-bridge doctor` if it keeps failing.',
        });
    }
    for (const s of sinks) {
      if (!s.up)
        problems.push({
          severity: 'warn',
          account: null,
          what: `the ${s.name} sink is not connected (${s.pending} change(s) waiting)`,
          advice: `Check that its receiver runs and the ${s.name === 'mqtt' ? 'mqtt.server' : 'remote_write.url'} setting; \`fitbit-bridge doctor\` probes it.`,
        });
    }
    return {
      version: ctx.version,
      now,
      csrf: ctx.http.csrfToken(),
      accounts,
      sinks,
      imports: this.imports().slice(0, 20),
      problems,
    };
  }

  /** `timezone`: the account's zone as status() resolved it (accountZone; UTC when none is known). */
  private backfillOf(account: string, timezone: string, now: number): AccountStatusJson['backfill'] {
    const seq = this.ctx.store.currentSeq();
    const hit = this.backfill.get(account);
    if (hit && hit.seq === seq && now - hit.at < BACKFILL_TTL_MS) return hit.value;
    const cfg = this.ctx.config;
    let value: AccountStatusJson['backfill'] = null;
    try {
      const plan = planSync({
        store: this.ctx.store,
        account,
        timezone,
        mode: 'backfill',
        config: cfg.sync,
        quotaPerMinute: cfg.google.quota_per_minute,
        now: () => now,
      });
      let oldest: string | null = null;
      let left = 0;
      for (const t of plan.types) {
        if (t.coveredFrom !== null && (oldest === null || t.coveredFrom < oldest)) oldest = t.coveredFrom;
        left = Math.max(left, t.backfillDays);
      }
      const today = zoneNamed(timezone).localDate(now);
      value = {
        oldest_date: oldest,
        target_date: addDays(today, -cfg.sync.backfill_days),
        days_left: left,
        eta_s: left > 0 ? plan.etaSeconds : 0,
      };
    } catch (e) {
      this.ctx.logger.debug({ account, err: errText(e) }, 'web api: no backfill estimate');
    }
    this.backfill.set(account, { at: now, seq, value });
    return value;
  }

  /** Doctor's local checks as problems (cached PROBLEMS_TTL_MS; one run at a time). */
  private async doctorProblems(now: number): Promise<Problem[]> {
    if (this.problems && now - this.problems.at < PROBLEMS_TTL_MS) return this.problems.list;
    if (!this.problemsRunning) {
      this.problemsRunning = this.runChecks()
        .then((list) => {
          this.problems = { at: now, list };
          return list;
        })
        .finally(() => {
          this.problemsRunning = null;
        });
    }
    return this.problemsRunning;
  }

  private async runChecks(): Promise<Problem[]> {
    const cctx = { config: this.ctx.config, deps: { ...defaultDeps(), now: this.clock } };
    const results: CheckResult[] = [];
    const guard = async (fn: () => CheckResult | CheckResult[] | null | Promise<CheckResult>): Promise<void> => {
      try {
        const r = await fn();
        if (r !== null) results.push(...(Array.isArray(r) ? r : [r]));
      } catch (e) {
        this.ctx.logger.debug({ err: errText(e) }, 'web api: a doctor check failed');
      }
    };
    if (this.ctx.config.google.client_id) {
      await guard(() => checkAuth(cctx));
      await guard(() => checkTokenFiles(cctx));
    }
    await guard(() => checkDisk(cctx));
    await guard(() => checkPrivateFiles(cctx));
    await guard(() => checkDropFolder(cctx));
    return results
      .filter((r) => r.status !== 'ok')
      .map((r) => ({
        severity: r.status === 'problem' ? 'error' : 'warn',
        account: r.id.startsWith('auth:') ? r.id.slice(5) : null,
        what: `${r.name}: ${r.detail}`,
        advice: r.fix ?? '',
      }));
  }
}
