/**
 * The controller of `fitbit-bridge run` (model: zigbee2mqtt's controller): opens the store,
 * starts the HTTP server (/healthz, /auth, and what extensions add), schedules the sync jobs of
 * every account from the config (node-schedule cron expressions), hosts the extensions (the
 * sinks) and shuts everything down in order on SIGTERM.
 *
 * - Accounts sync one job at a time each (a per-account queue; a job already queued is not queued
 *   twice); different accounts run side by side. An account whose authorisation is gone
 *   ('reauth-needed', 'missing') is skipped until it is authorised again (/auth or
 *   `fitbit-bridge auth`); the others keep running.
 * - Without a Google client (Takeout-only users) `run` still serves HTTP and hosts the sinks.
 * - Writes by other processes (an `import-takeout` beside `run`) are noticed by polling the
 *   store's change sequence and announced as `store:changed`.
 * - stop(): no new jobs; the running sync is asked to stop at its next page boundary (its
 *   transaction finishes), then extensions stop in reverse order, HTTP closes, the store closes.
 */
import schedule from 'node-schedule';
import { errText } from '../errors.js';
import { ReauthNeededError, type TokenManager } from '../auth/oauth-client.js';
import { oauthClientConfig, tokenManagerFor, type OAuthClientConfig } from '../auth/flow.js';
import type { LoadedConfig } from '../config/load.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../util/log.js';
import { registerAuthPage } from './auth-page.js';
import {
  BridgeEvents, type AccountStatus, type Extension, type ExtensionContext, type SyncJobKind,
} from './extension.js';
import { BridgeHttpServer } from './http.js';

/** Runs one sync job of one account; resolves with what it did. Throws ReauthNeededError when consent is needed. */
export type SyncRunner = (req: {
  account: string;
  job: SyncJobKind;
  signal: AbortSignal;
  tokens: TokenManager;
}) => Promise<{ added: number; requests: number; quotaLeft?: number | null }>;

export interface ControllerOptions {
  config: LoadedConfig;
  store: Store;
  logger: Logger;
  version: string;
  extensions?: Extension[];
  /** The live source; null = no sync at all (tests of the sinks, Takeout-only). */
  sync: SyncRunner | null;
  /** Run recent + daily (and backfill) once at start (default true). */
  syncOnStart?: boolean;
  /** How often to look for writes by other processes (ms, default 2000). */
  storePollMs?: number;
}

interface AccountState {
  status: AccountStatus;
  tokens: TokenManager | null;
  queue: SyncJobKind[];
  running: Promise<void> | null;
  /** The day (UTC date) the expiring-soon warning was last logged. */
  warnedExpiry?: string;
}

const JOB_ORDER: SyncJobKind[] = ['recent', 'daily', 'backfill'];

export class Controller {
  readonly events = new BridgeEvents();
  readonly http: BridgeHttpServer | null;
  private readonly accounts = new Map<string, AccountState>();
  private readonly jobs: schedule.Job[] = [];
  private readonly abort = new AbortController();
  private readonly client: OAuthClientConfig | null;
  private readonly started: Extension[] = [];
  private pollTimer: NodeJS.Timeout | null = null;
  private lastSeq = 0;
  private stopping = false;

  constructor(private readonly opts: ControllerOptions) {
    const { config, logger } = opts;
    let client: OAuthClientConfig | null = null;
    try {
      client = oauthClientConfig(config);
    } catch {
      client = null;
    }
    this.client = client;
    this.http = config.http.enabled
      ? new BridgeHttpServer({
        bind: config.http.bind, port: config.http.port, logger,
        health: () => ({ version: opts.version, accounts: this.accountStatuses().map((a) => ({ name: a.name, auth: a.auth, last_success: a.lastSuccessAt })) }),
      })
      : null;
    for (const a of config.accounts) {
      const tokens = client && opts.sync ? tokenManagerFor(client, a.name, logger.child({ account: a.name })) : null;
      this.accounts.set(a.name, {
        status: {
          name: a.name, live: tokens !== null, auth: tokens ? tokens.state() : 'missing',
          lastSyncAt: null, lastSuccessAt: null, lastError: null, quotaLeft: null, lastAdded: 0,
        },
        tokens, queue: [], running: null,
      });
    }
  }

  accountStatuses(): AccountStatus[] {
    return [...this.accounts.values()].map((a) => ({ ...a.status }));
  }

  private context(): ExtensionContext {
    const http = this.http;
    return {
      config: this.opts.config, store: this.opts.store, logger: this.opts.logger, events: this.events, version: this.opts.version,
      accounts: () => this.accountStatuses(),
      http: http ?? { route: () => undefined, url: () => null },
    };
  }

  async start(): Promise<void> {
    const { logger, config } = this.opts;
    if (this.http) {
      registerAuthPage(this.http, {
        client: this.client, logger, accounts: () => this.accountStatuses(),
        redirectBase: () => {
          const port = this.http?.port();
          return port ? `http://127.0.0.1:${port}` : null;
        },
        onAuthorized: (name) => this.authorized(name),
      });
    }
    const ctx = this.context();
    for (const ext of this.opts.extensions ?? []) {
      await ext.start(ctx);
      this.started.push(ext);
      logger.info({ extension: ext.name }, 'extension started');
    }
    if (this.http) {
      const url = await this.http.listen();
      logger.info({ url, healthz: `${url}/healthz`, auth: `${url}/auth` }, 'HTTP server listening');
    }
    this.lastSeq = this.opts.store.currentSeq();
    this.pollTimer = setInterval(() => this.pollStore(), this.opts.storePollMs ?? 2000);
    this.pollTimer.unref();

    const live = [...this.accounts.values()].filter((a) => a.tokens !== null);
    if (!this.client) logger.info('no Google OAuth client configured (google.client_id): the live source is off; Takeout imports and the sinks work as usual');
    for (const a of this.accounts.values()) {
      if (a.tokens && (a.status.auth === 'missing' || a.status.auth === 'reauth-needed')) {
        logger.warn({ account: a.status.name, auth: a.status.auth }, `account ${a.status.name} is not authorised: open ${this.http?.url() ?? 'the bridge'}/auth or run: fitbit-bridge auth --account ${a.status.name}`);
      }
    }
    if (this.opts.sync && live.length > 0) {
      const crons: Record<SyncJobKind, string> = { recent: config.schedule.recent, daily: config.schedule.daily, backfill: config.schedule.backfill };
      for (const job of JOB_ORDER) {
        const j = schedule.scheduleJob(`sync-${job}`, crons[job], () => this.enqueueAll(job));
        if (!j) throw new Error(`schedule.${job}: "${crons[job]}" is not a cron expression node-schedule accepts`);
        this.jobs.push(j);
      }
      if (this.opts.syncOnStart ?? true) for (const job of JOB_ORDER) this.enqueueAll(job);
    }
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
    if (!a.running) a.running = this.drain(a).finally(() => { a.running = null; });
  }

  /** Resolves when no account has queued or running work (tests, the demo). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.accounts.values()].map((a) => a.running).filter((p): p is Promise<void> => p !== null);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  private async drain(a: AccountState): Promise<void> {
    const sync = this.opts.sync;
    if (!sync || !a.tokens) return;
    while (a.queue.length > 0 && !this.stopping) {
      const job = a.queue.shift() as SyncJobKind;
      const started = Date.now();
      const log = this.opts.logger.child({ account: a.status.name, job });
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
        this.events.emit('sync:finished', { account: a.status.name, job, ok: true, added: r.added, requests: r.requests, ms: Date.now() - started });
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
        this.events.emit('sync:finished', { account: a.status.name, job, ok: false, added: 0, requests: 0, error: msg, ms: Date.now() - started });
      }
      this.events.emit('account:status', { ...a.status });
      this.pollStore();
    }
  }

  /** A day before a Testing-mode consent runs out: one warning (per day) with what to do. */
  private warnIfExpiring(a: AccountState): void {
    if (a.status.auth !== 'expiring-soon') return;
    const today = new Date().toISOString().slice(0, 10);
    if (a.warnedExpiry === today) return;
    a.warnedExpiry = today;
    this.opts.logger.warn({ account: a.status.name }, `the Google authorisation of account ${a.status.name} ends within a day (apps in Testing mode: 7 days after consent): open ${this.http?.url() ?? 'the bridge'}/auth or run: fitbit-bridge auth --account ${a.status.name}`);
  }

  private authorized(name: string): void {
    const a = this.accounts.get(name);
    if (!a) return;
    if (a.tokens) a.status.auth = a.tokens.state();
    a.status.lastError = null;
    this.events.emit('account:status', { ...a.status });
    this.opts.logger.info({ account: name }, 'account authorised; syncing');
    for (const job of JOB_ORDER) this.enqueue(name, job);
  }

  private pollStore(): void {
    try {
      const seq = this.opts.store.currentSeq();
      if (seq !== this.lastSeq) {
        this.lastSeq = seq;
        this.events.emit('store:changed', { seq });
      }
    } catch (e) {
      this.opts.logger.warn({ err: errText(e) }, 'could not read the store\'s change sequence');
    }
  }

  /** Graceful stop: finish the current page's transaction, stop extensions (reverse order), close HTTP. The caller closes the store. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const j of this.jobs) j.cancel();
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.abort.abort();
    for (const a of this.accounts.values()) a.queue.length = 0;
    await this.idle();
    for (const ext of [...this.started].reverse()) {
      try {
        await ext.stop();
      } catch (e) {
        this.opts.logger.warn({ extension: ext.name, err: errText(e) }, 'extension did not stop cleanly');
      }
    }
    await this.http?.close();
  }
}
