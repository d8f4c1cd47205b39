/**
 * The Google Health API as a source part of `fitbit-bridge run` (enabled when google.client_id
 * is configured and `--no-sync` is not given; see src/run/parts.ts). It owns everything of the
 * live sync:
 *
 * - a TokenManager and a HealthClient per account (the client's quota limiter spans all of the
 *   account's jobs; each request is announced as `api:request`);
 * - the node-schedule cron jobs of schedule.recent / daily / backfill, and a run of each at start;
 * - one job queue per account: an account syncs one job at a time (a job already queued is not
 *   queued twice); different accounts run side by side. An account whose authorisation is gone
 *   ('reauth-needed', 'missing') is skipped until it is authorised again (/auth or
 *   `fitbit-bridge auth`); the others keep running;
 * - the `/auth` page (src/run/auth-page.ts): authorising there starts the account's sync;
 * - the accounts' statuses in the bridge's AccountBook (and `account:status`, `sync:finished`).
 *
 * Jobs: `recent` asks for the new data of the intraday types of sync.recent_types (no late-data
 * re-read: it stays small), `daily` is the incremental pass of every type (intraday types re-read
 * sync.overlap_hours every sync.overlap_every_hours; plan.ts scheduledTypes); `backfill` reads
 * older history in slices of at most half the per-minute quota, so the frequent `recent` job
 * always finds quota left.
 *
 * stop(): no new jobs; the running sync is asked to stop at its next page boundary (its
 * transaction finishes, waits and retries are cut short).
 */
import schedule from 'node-schedule';
import { oauthClientConfig, tokenManagerFor, type OAuthClientConfig } from '../../auth/flow.js';
import { ReauthNeededError, type TokenManager } from '../../auth/oauth-client.js';
import { errText } from '../../errors.js';
import { registerAuthPage } from '../../run/auth-page.js';
import type { AccountStatus, Extension, ExtensionContext, SyncJobKind } from '../../run/extension.js';
import type { HealthClient } from './client.js';

/** Runs one sync job of one account; resolves with what it did. Throws ReauthNeededError when consent is needed. */
export type SyncRunner = (req: {
  account: string;
  job: SyncJobKind;
  signal: AbortSignal;
  tokens: TokenManager;
}) => Promise<{ added: number; requests: number; quotaLeft?: number | null }>;

export interface GoogleHealthSourceOptions {
  /** Replaces the live sync (HealthClient + syncAccount) of each job: tests fake a sync with it. */
  sync?: SyncRunner;
  /** Run recent + daily (and backfill) once at start (default true). */
  syncOnStart?: boolean;
}

interface AccountState {
  /** The account's record in the bridge's AccountBook. */
  status: AccountStatus;
  tokens: TokenManager | null;
  queue: SyncJobKind[];
  running: Promise<void> | null;
  /** The day (UTC date) the expiring-soon warning was last logged. */
  warnedExpiry?: string;
}

const JOB_ORDER: SyncJobKind[] = ['recent', 'daily', 'backfill'];

/** The OAuth client of the config, null when google.client_id is not set. */
export function oauthClientOrNull(ctx: Pick<ExtensionContext, 'config'>): OAuthClientConfig | null {
  return ctx.config.google.client_id ? oauthClientConfig(ctx.config) : null;
}

/** The bridge's own loopback address (Google accepts only loopback redirects for Desktop clients), null before it listens. */
export function loopbackBase(ctx: Pick<ExtensionContext, 'http'>): string | null {
  const url = ctx.http.url();
  return url ? `http://127.0.0.1:${new URL(url).port}` : null;
}

/** The sync engine (undici, the API client, the mapping: ~15 MB resident), loaded by the first job, not by every bridge. */
async function loadEngine(): Promise<{
  HealthClient: typeof import('./client.js').HealthClient;
  syncAccount: typeof import('./sync.js').syncAccount;
  resolveAccountTimezone: typeof import('./account.js').resolveAccountTimezone;
  account: typeof import('./account.js');
  scheduledTypes: typeof import('./plan.js').scheduledTypes;
}> {
  const [client, sync, account, plan] = await Promise.all([import('./client.js'), import('./sync.js'), import('./account.js'), import('./plan.js')]);
  return {
    HealthClient: client.HealthClient,
    syncAccount: sync.syncAccount,
    resolveAccountTimezone: account.resolveAccountTimezone,
    account,
    scheduledTypes: plan.scheduledTypes,
  };
}

/** The live sync of each job: one HealthClient per account, announcing its requests on ctx.events. */
export function liveSyncRunner(ctx: ExtensionContext): SyncRunner {
  const { config, store, logger, events } = ctx;
  const clients = new Map<string, HealthClient>();
  let engine: ReturnType<typeof loadEngine> | null = null;
  const clientFor = (
    HealthClient: Awaited<ReturnType<typeof loadEngine>>['HealthClient'],
    account: string,
    tokens: TokenManager,
    signal: AbortSignal,
  ): HealthClient => {
    let c = clients.get(account);
    if (!c) {
      c = new HealthClient({
        baseUrl: config.google.api_base_url,
        getAccessToken: (o) => tokens.getAccessToken(o),
        quotaPerMinute: config.google.quota_per_minute,
        logger: logger.child({ account }),
        onRequest: (e) => {
          events.emit('api:request', { account, outcome: e.outcome, status: e.status, ms: e.ms });
        },
        // the source's shutdown signal: a stop cuts waits and retries short (the transaction of a page is never cut)
        signal,
      });
      clients.set(account, c);
    }
    return c;
  };
  return async ({ account, job, signal, tokens }) => {
    const { HealthClient, syncAccount, resolveAccountTimezone, account: acc, scheduledTypes } = await (engine ??= loadEngine());
    // recent: the types of sync.recent_types, new data only; daily: every type (with the late-data re-read when due)
    const types = scheduledTypes(job, config.sync);
    if (types.length === 0) return { added: 0, requests: 0 };
    const client = clientFor(HealthClient, account, tokens, signal);
    const log = logger.child({ account, job });
    // an authorisation from before a scope was asked for: told once per account and process
    acc.warnMissingScopes(account, tokens.grantedScopes(), acc.accountTimezone(config, store, account), log);
    const timezone = await resolveAccountTimezone(config, store, account, client, log);
    const r = await syncAccount({
      store,
      client,
      account,
      timezone,
      mode: job,
      types,
      lateOverlap: job !== 'recent',
      config: config.sync,
      quotaPerMinute: config.google.quota_per_minute,
      logger: log,
      signal,
      ...(job === 'backfill' ? { maxRequests: Math.max(1, Math.floor(config.google.quota_per_minute / 2)) } : {}),
    });
    return { added: r.added + r.changed + r.sessions, requests: r.requests, quotaLeft: client.stats.quotaLeft() };
  };
}

/**
 * /auth while the Google Health source does not run (no google.client_id, or --no-sync): without
 * a client it explains how to set one up; with one (--no-sync) an account can still be
 * authorised — its tokens are stored for the next `run` or `sync`.
 */
export function registerAuthPageWithoutSource(ctx: ExtensionContext): void {
  registerAuthPage(ctx.http, {
    client: oauthClientOrNull(ctx),
    logger: ctx.logger,
    accounts: () => ctx.accounts(),
    redirectBase: () => loopbackBase(ctx),
    onAuthorized: (name) => {
      const status = ctx.accountBook.get(name);
      if (!status) return;
      status.lastError = null;
      ctx.events.emit('account:status', { ...status });
      ctx.logger.info({ account: name }, 'account authorised (the live source is off in this run: it syncs when run starts without --no-sync)');
    },
  });
}

export class GoogleHealthSource implements Extension {
  readonly name = 'google-health';
  readonly kind = 'source';
  private ctx: ExtensionContext | null = null;
  private sync: SyncRunner | null = null;
  private readonly accounts = new Map<string, AccountState>();
  private readonly jobs: schedule.Job[] = [];
  private readonly abort = new AbortController();
  private stopping = false;

  constructor(private readonly opts: GoogleHealthSourceOptions = {}) {}

  async start(ctx: ExtensionContext): Promise<void> {
    const { config, logger } = ctx;
    this.ctx = ctx;
    const client = oauthClientOrNull(ctx);
    this.sync = this.opts.sync ?? liveSyncRunner(ctx);
    for (const a of config.accounts) {
      const status = ctx.accountBook.get(a.name);
      if (!status) continue;
      const tokens = client ? tokenManagerFor(client, a.name, logger.child({ account: a.name })) : null;
      status.live = tokens !== null;
      status.auth = tokens ? tokens.state() : 'missing';
      this.accounts.set(a.name, { status, tokens, queue: [], running: null });
    }
    registerAuthPage(ctx.http, {
      client,
      logger,
      accounts: () => ctx.accounts(),
      redirectBase: () => loopbackBase(ctx),
      onAuthorized: (name) => this.authorized(name),
    });
    for (const a of this.accounts.values()) {
      if (a.tokens && (a.status.auth === 'missing' || a.status.auth === 'reauth-needed')) {
        logger.warn(
          { account: a.status.name, auth: a.status.auth },
          `account ${a.status.name} is not authorised: open ${ctx.http.url() ?? 'the bridge'}/auth or run: fitbit-bridge auth --account ${a.status.name}`,
        );
      }
    }
    const live = [...this.accounts.values()].filter((a) => a.tokens !== null);
    if (live.length === 0) return;
    const crons: Record<SyncJobKind, string> = { recent: config.schedule.recent, daily: config.schedule.daily, backfill: config.schedule.backfill };
    for (const job of JOB_ORDER) {
      const j = schedule.scheduleJob(`sync-${job}`, crons[job], () => this.enqueueAll(job));
      if (!j) throw new Error(`schedule.${job}: "${crons[job]}" is not a cron expression node-schedule accepts`);
      this.jobs.push(j);
    }
    if (this.opts.syncOnStart ?? true) for (const job of JOB_ORDER) this.enqueueAll(job);
  }

  /** Queues `job` for every live, authorised account. */
  enqueueAll(job: SyncJobKind): void {
    for (const name of this.accounts.keys()) this.enqueue(name, job);
  }

  /** Queues `job` for one account (no-op when stopping, not live, not authorised, or already queued). */
  enqueue(name: string, job: SyncJobKind): void {
    const a = this.accounts.get(name);
    if (!a || !a.tokens || this.stopping) return;
    a.status.auth = a.tokens.state();
    if (a.status.auth === 'missing' || a.status.auth === 'reauth-needed') return;
    if (a.queue.includes(job)) return;
    a.queue.push(job);
    if (!a.running)
      a.running = this.drain(a).finally(() => {
        a.running = null;
      });
  }

  /** Resolves when no account has queued or running work. */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.accounts.values()].map((a) => a.running).filter((p): p is Promise<void> => p !== null);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  private async drain(a: AccountState): Promise<void> {
    const { sync, ctx } = this;
    if (!sync || !ctx || !a.tokens) return;
    while (a.queue.length > 0 && !this.stopping) {
      const job = a.queue.shift() as SyncJobKind;
      const started = Date.now();
      const log = ctx.logger.child({ account: a.status.name, job });
      a.status.lastSyncAt = started;
      try {
        const r = await sync({ account: a.status.name, job, signal: this.abort.signal, tokens: a.tokens });
        a.status.lastSuccessAt = Date.now();
        a.status.lastError = null;
        a.status.lastAdded = r.added;
        if (r.quotaLeft !== undefined) a.status.quotaLeft = r.quotaLeft;
        a.status.auth = a.tokens.state();
        log.info({ added: r.added, requests: r.requests, ms: Date.now() - started }, 'sync finished');
        this.warnIfExpiring(a);
        ctx.events.emit('sync:finished', { account: a.status.name, job, ok: true, added: r.added, requests: r.requests, ms: Date.now() - started });
      } catch (e) {
        const msg = errText(e);
        a.status.lastError = msg;
        if (e instanceof ReauthNeededError) {
          a.status.auth = 'reauth-needed';
          a.queue.length = 0;
          log.error({ err: msg }, `account ${a.status.name} needs a new authorisation; its sync stops until then (the other accounts go on)`);
        } else if (this.stopping) {
          log.info('sync interrupted by shutdown');
        } else {
          log.error({ err: msg }, 'sync failed; the next scheduled run tries again');
        }
        ctx.events.emit('sync:finished', { account: a.status.name, job, ok: false, added: 0, requests: 0, error: msg, ms: Date.now() - started });
      }
      ctx.events.emit('account:status', { ...a.status });
      // what the job wrote reaches the sinks now, not at the next poll
      ctx.follower.check();
    }
  }

  /** A day before a Testing-mode consent runs out: one warning (per day) with what to do. */
  private warnIfExpiring(a: AccountState): void {
    if (a.status.auth !== 'expiring-soon' || !this.ctx) return;
    const today = new Date().toISOString().slice(0, 10);
    if (a.warnedExpiry === today) return;
    a.warnedExpiry = today;
    this.ctx.logger.warn(
      { account: a.status.name },
      `the Google authorisation of account ${a.status.name} ends within a day (apps in Testing mode: 7 days after consent): open ${this.ctx.http.url() ?? 'the bridge'}/auth or run: fitbit-bridge auth --account ${a.status.name}`,
    );
  }

  private authorized(name: string): void {
    const a = this.accounts.get(name);
    if (!a || !this.ctx) return;
    if (a.tokens) a.status.auth = a.tokens.state();
    a.status.lastError = null;
    this.ctx.events.emit('account:status', { ...a.status });
    this.ctx.logger.info({ account: name }, 'account authorised; syncing');
    for (const job of JOB_ORDER) this.enqueue(name, job);
  }

  /** No new jobs; the running syncs stop at their next page boundary. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const j of this.jobs.splice(0)) j.cancel();
    this.abort.abort();
    for (const a of this.accounts.values()) a.queue.length = 0;
    await this.idle();
  }
}

/** The Google Health source for `run` (google.client_id configured, no --no-sync). */
export function googleHealthSource(opts: GoogleHealthSourceOptions = {}): GoogleHealthSource {
  return new GoogleHealthSource(opts);
}
