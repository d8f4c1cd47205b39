/** `fitbit-bridge sync`: fetch an account's data from the Google Health API into the store. */
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Logger } from '../../util/log.js';
import { accountConfig, createContext, resolveAccount, type GlobalOptions } from '../context.js';
import { ReauthNeededError } from '../../auth/oauth-client.js';
import { errText, InterruptedError, isAbortReason } from '../../errors.js';
import { CliError, usageError } from '../errors.js';
import { EXIT } from '../../exit-codes.js';
import { parseAccountName, parseTimeZone, parseList } from '../validate.js';

type SyncModule = typeof import('../../sources/google-health/sync.js');
type AccountModule = typeof import('../../sources/google-health/account.js');

const MODES = ['recent', 'daily', 'backfill', 'all'] as const;

interface SyncFlags {
  account?: string;
  dryRun?: boolean;
  mode: (typeof MODES)[number];
  type?: string[];
  timezone?: string;
  progress: boolean;
  maxRequests?: number;
}

function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('Expected a whole number >= 1.');
  return n;
}

export function formatDuration(sec: number): string {
  if (sec < 60) return `${sec} s`;
  const m = Math.round(sec / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function table(rows: string[][]): string {
  const w: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => {
      w[i] = Math.max(w[i] ?? 0, c.length);
    });
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

type Plan = ReturnType<SyncModule['planSync']>;
type Report = Awaited<ReturnType<SyncModule['syncAccount']>>;

export function formatPlan(account: string, plan: Plan, quota: number): string {
  const rows: string[][] = [['type', 'method', 'incremental', 'covered', 'backfill', 'requests']];
  for (const t of plan.types) {
    const inc = t.incremental.length
      ? `${t.incremental[0]!.from} … ${t.incremental[t.incremental.length - 1]!.to} (${t.incremental.length} window${t.incremental.length > 1 ? 's' : ''})`
      : '-';
    const cov = t.coveredFrom ? `${t.coveredFrom} … ${t.coveredTo}` : 'nothing yet';
    const bf = t.backfillDone ? 'done' : t.backfillDays ? `${t.backfillUpperBound ? 'up to ' : ''}${t.backfillDays} days` : '-';
    rows.push([t.type, t.method, inc, cov, bf, `${t.backfillUpperBound ? '≤' : '~'}${t.requests}`]);
  }
  const notes = plan.types.filter((t) => t.note).map((t) => `  ${t.type}: ${t.note}`);
  return [
    `sync plan for ${account} (mode ${plan.mode}, nothing fetched):`,
    table(rows),
    '',
    `about ${plan.requests} requests, ${formatDuration(plan.etaSeconds)} at the quota of ${quota} requests/minute` +
      (plan.types.some((t) => t.backfillUpperBound) ? ' (≤: no data known yet, the backfill stops at the first day with data)' : ''),
    ...(notes.length ? ['', 'notes:', ...notes] : []),
  ].join('\n');
}

export function formatReport(r: Report): string {
  const rows: string[][] = [['type', 'requests', 'pages', 'added', 'changed', 'sessions', 'covered', 'backfill', 'error']];
  for (const [id, t] of Object.entries(r.types)) {
    rows.push([
      id,
      String(t.requests),
      String(t.pages),
      String(t.added),
      String(t.changed),
      String(t.sessions),
      t.coveredFrom ? `${t.coveredFrom} … ${t.coveredTo}` : '-',
      t.backfillDone ? 'done' : 'open',
      t.error ? (t.reason ?? 'failed') : '',
    ]);
  }
  const failed = Object.entries(r.types).filter(([, t]) => t.error);
  const lines = [
    `synced ${r.account} (mode ${r.mode}): ${r.requests} requests, ${r.pages} pages, ${r.added} samples added, ${r.changed} changed, ${r.sessions} sessions, ${formatDuration(Math.round(r.durationMs / 1000))}`,
    table(rows),
  ];
  if (r.stopped === 'budget') lines.push('', 'stopped at --max-requests; the next sync continues where this one stopped');
  if (failed.length) lines.push('', 'failed types (the others were synced):', ...failed.map(([id, t]) => `  ${id}: ${t.error}`));
  const skipped = Object.entries(r.types).filter(([, t]) => t.skipped || t.unknownEnums);
  if (skipped.length) lines.push('', ...skipped.map(([id, t]) => `  ${id}: ${t.skipped} malformed points skipped, ${t.unknownEnums} unknown enum values`));
  if (r.warnings.length) lines.push('', 'warnings:', ...r.warnings.slice(0, 10).map((w) => `  ${w}`));
  return lines.join('\n');
}

interface Bar {
  update(done: number, total: number, type: string): void;
  stop(): void;
}

function progressBar(want: boolean, logger: Logger): Bar {
  if (want && process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'sync [{bar}] {value}/{total} requests | ETA {eta_formatted} | {type}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total, type) {
        if (!started) {
          bar.start(total, 0, { type });
          started = true;
        }
        bar.setTotal(Math.max(total, done));
        bar.update(done, { type });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = Date.now();
  return {
    update(done, total, type) {
      const now = Date.now();
      if (now - last >= 5000) {
        last = now;
        logger.info({ done, total, type }, `sync: ${done}/~${total} requests (${type})`);
      }
    },
    stop() {
      /* nothing */
    },
  };
}

export function syncCommand(): Command {
  return new Command('sync')
    .summary('fetch data from the Google Health API into the store')
    .description(
      "Fetch an account's Fitbit data from the Google Health API. The first run backfills the history (newest first, down to the first day with data); later runs re-read the last hours and days (late data after a phone sync) and continue the backfill. " +
        'Progress is kept per data type in the store, so an interrupted sync continues where it stopped. Run fitbit-bridge auth once per account first.',
    )
    .option('--account <name>', 'account to sync (default: the first account of the config)', parseAccountName)
    .option('--dry-run', 'only show what would be fetched: requests and the time they take at the quota')
    .addOption(
      new Option(
        '--mode <mode>',
        'recent: intraday data of the last hours; daily: daily values, sleep, exercise, weight; backfill: older history; all: everything',
      )
        .choices([...MODES])
        .default('all'),
    )
    .option('--type <type...>', 'only these data types (API ids such as heart-rate, or metric ids such as heart_rate; repeatable, comma-separated)', parseList)
    .option(
      '--timezone <iana>',
      "IANA time zone of the account (default: the account's timezone in the config, then the zone stored by earlier imports, then takeout.timezone)",
      parseTimeZone,
    )
    .option('--max-requests <n>', 'stop (resumably) after this many requests', parsePositiveInt)
    .option('--no-progress', 'no progress bar (progress is logged every few seconds instead)')
    .addHelpText(
      'after',
      `
Examples:
  fitbit-bridge sync --dry-run
  fitbit-bridge sync --account alice
  fitbit-bridge sync --mode recent --type heart-rate --type steps
  fitbit-bridge sync --mode backfill --max-requests 1000

Exit codes: 0 ok; 1 some data types failed (the others are stored); 2 not authorised or not
configured (run fitbit-bridge auth --account NAME); 3 store error.`,
    )
    .action(async (flags: SyncFlags, cmd: Command) => {
      const ctx = createContext(cmd.optsWithGlobals<GlobalOptions>());
      const store = await ctx.openStore();
      let source: Awaited<ReturnType<AccountModule['createAccountSource']>> | null = null;
      const ac = new AbortController();
      const onSignal = (): void => ac.abort(new InterruptedError());
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const account = resolveAccount(ctx.config, store, flags.account);
        const [syncMod, accMod, dtMod] = await Promise.all([
          import('../../sources/google-health/sync.js'),
          import('../../sources/google-health/account.js'),
          import('../../sources/google-health/datatypes.js'),
        ]);
        try {
          dtMod.typesForMode(flags.mode, flags.type);
        } catch (e) {
          throw usageError(errText(e), 'Give API data type ids (fitbit-bridge sync --help)');
        }
        let timezone = accMod.accountTimezone(ctx.config, store, account, flags.timezone ?? accountConfig(ctx.config, account)?.timezone);
        const noZone = (): CliError =>
          usageError(
            `no time zone is known for account ${account}`,
            `Pass --timezone <IANA name> (e.g. --timezone America/New_York) or set accounts[].timezone in the config`,
          );
        const base = {
          store,
          account,
          timezone,
          mode: flags.mode,
          config: ctx.config.sync,
          quotaPerMinute: ctx.config.google.quota_per_minute,
          ...(flags.type ? { types: flags.type } : {}),
        };
        if (flags.dryRun) {
          if (!timezone) throw noZone();
          process.stdout.write(`${formatPlan(account, syncMod.planSync({ ...base, timezone }), ctx.config.google.quota_per_minute)}\n`);
          return;
        }
        try {
          source = accMod.createAccountSource({ config: ctx.config, account, logger: ctx.logger, signal: ac.signal });
        } catch (e) {
          if (e instanceof accMod.MissingClientError) {
            throw new CliError(
              e.message,
              'Set google.client_id and google.client_secret (or client_secret_file) in the config, then run fitbit-bridge auth',
              EXIT.USAGE,
            );
          }
          throw e;
        }
        const state = source.tokens.state();
        if (state === 'missing' || state === 'reauth-needed') {
          throw new CliError(
            `account ${account} is ${state === 'missing' ? 'not authorised yet' : 'no longer authorised (the consent expired or was revoked)'}`,
            `Run fitbit-bridge auth --account ${account}`,
            EXIT.USAGE,
          );
        }
        // an authorisation from before a scope was asked for (settings.readonly): say which, why, and how to grant it
        accMod.warnMissingScopes(account, source.tokens.grantedScopes(), timezone, ctx.logger);
        if (!timezone) {
          // not configured, not stored: the Google account's own setting (stored for next time), never a guess
          try {
            timezone = await accMod.resolveAccountTimezone(ctx.config, store, account, source.client, ctx.logger);
          } catch (e) {
            if (e instanceof accMod.NoTimezoneError) throw noZone();
            throw mapSyncError(e, account, accMod);
          }
        }
        const bar = progressBar(flags.progress, ctx.logger);
        let report;
        try {
          report = await syncMod.syncAccount({
            ...base,
            timezone,
            client: source.client,
            logger: ctx.logger,
            signal: ac.signal,
            ...(flags.maxRequests !== undefined ? { maxRequests: flags.maxRequests } : {}),
            onProgress: (p) => bar.update(p.done, p.total, p.type),
          });
        } catch (e) {
          bar.stop();
          throw mapSyncError(e, account, accMod);
        }
        bar.stop();
        process.stdout.write(`${formatReport(report)}\n`);
        process.exitCode = Object.values(report.types).some((t) => t.error) ? EXIT.PARTIAL : EXIT.OK;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await source?.close();
        store.close();
      }
    });
}

/**
 * Account-level failures of a sync as CLI errors. `api` is the Google Health account module
 * (loaded on demand), whose HealthApiError class is matched by instanceof.
 */
export function mapSyncError(e: unknown, account: string, api: Pick<AccountModule, 'HealthApiError'>): unknown {
  if (e instanceof ReauthNeededError) return new CliError(e.what, `Run fitbit-bridge auth --account ${account}`, EXIT.USAGE, e);
  if (e instanceof api.HealthApiError) {
    const what = e.message.replace(/[.\s]+$/, '');
    if (e.kind === 'unauthenticated') return new CliError(what, `Run fitbit-bridge auth --account ${account}`, EXIT.USAGE, e);
    if (e.kind === 'account-not-linked')
      return new CliError(what, 'Link the Fitbit account to this Google account in the Fitbit app, then run the sync again', EXIT.USAGE, e);
  }
  if (isAbortReason(e)) return new CliError('sync interrupted; what was fetched is stored', 'Run the sync again to continue', EXIT.PARTIAL, e);
  return e;
}
