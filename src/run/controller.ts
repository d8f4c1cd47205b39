/**
 * The controller of `fitbit-bridge run` (model: zigbee2mqtt's controller), its composition root:
 * it builds the enabled parts of the table (parts.ts: the Google Health and Takeout sources, the
 * Prometheus, MQTT and remote-write sinks), gives them one context — the config, the store, the
 * bridge's events, the HTTP server (/healthz here; /auth, /metrics from the parts), the account
 * statuses and the one store follower — starts them in order and stops them in reverse.
 *
 * - start(): the store follower starts polling the store's change sequence (writes by this
 *   process and by others, e.g. an `import-takeout` beside `run`, become `store:changed` and wake
 *   the sinks); the sinks start; the HTTP server listens; the sources start (the Google Health
 *   source schedules its jobs, the drop folder watches).
 * - Without a Google client (Takeout-only users) or with --no-sync, `run` still serves HTTP
 *   (/auth explains or authorises) and hosts the sinks; every account's status stays available
 *   (auth 'missing').
 * - stop(): the parts stop in reverse order — the sources first (the running sync stops at its
 *   next page boundary, an import in progress finishes), then the sinks —, then the follower and
 *   HTTP. The caller closes the store.
 *
 *   const bridge = new Controller({ config, store, logger, version, flags: { sync: true } });
 *   await bridge.start();
 *   await bridge.stop();
 */
import type { LoadedConfig } from '../config/load.js';
import { errText } from '../errors.js';
import { GoogleHealthSource, registerAuthPageWithoutSource, type SyncRunner } from '../sources/google-health/part.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../util/log.js';
import { AccountBook } from './accounts.js';
import { BridgeEvents, type AccountStatus, type Extension, type ExtensionContext, type SyncJobKind } from './extension.js';
import { BridgeHttpServer } from './http.js';
import { enabledParts, type PartOptions, type RunFlags } from './parts.js';
import { StoreFollower } from './store-follower.js';

export type { SyncRunner } from '../sources/google-health/part.js';

export interface ControllerOptions {
  config: LoadedConfig;
  store: Store;
  logger: Logger;
  version: string;
  /** The flags of `run` (default: sync on). */
  flags?: RunFlags;
  /**
   * Host these parts instead of the table's sinks and Takeout source (tests and benchmarks give
   * sinks with their own options); the Google Health source still comes from the table's rule.
   */
  parts?: Extension[];
  /** The Google Health source's sync of each job: a fake (tests), or null = no Google Health source (as --no-sync). */
  sync?: SyncRunner | null;
  /** Run recent + daily (and backfill) once at start (default true). */
  syncOnStart?: boolean;
  /** How often the store follower reads the change sequence (ms, default 50). */
  followMs?: number;
}

export class Controller {
  readonly events = new BridgeEvents();
  readonly http: BridgeHttpServer | null;
  /** The hosted parts, in start order. */
  readonly parts: readonly Extension[];
  private readonly book: AccountBook;
  private readonly follower: StoreFollower;
  private readonly google: GoogleHealthSource | null;
  private readonly started: Extension[] = [];
  private stopping = false;

  constructor(private readonly opts: ControllerOptions) {
    const { config, logger, store } = opts;
    this.book = new AccountBook(config.accounts.map((a) => a.name));
    this.follower = new StoreFollower({ store, logger, events: this.events, ...(opts.followMs !== undefined ? { pollMs: opts.followMs } : {}) });
    this.http = config.http.enabled
      ? new BridgeHttpServer({
          bind: config.http.bind,
          port: config.http.port,
          allowedHosts: config.http.allowed_hosts,
          allowedClients: config.http.allowed_clients,
          logger,
          health: () => ({
            version: opts.version,
            accounts: this.accountStatuses().map((a) => ({ name: a.name, auth: a.auth, last_success: a.lastSuccessAt })),
          }),
        })
      : null;
    const flags: RunFlags = { sync: (opts.flags?.sync ?? true) && opts.sync !== null };
    const partOpts: PartOptions = {
      ...(opts.sync ? { sync: opts.sync } : {}),
      ...(opts.syncOnStart !== undefined ? { syncOnStart: opts.syncOnStart } : {}),
    };
    this.parts = opts.parts ? [...opts.parts, ...enabledParts(config, flags, partOpts, ['google-health'])] : enabledParts(config, flags, partOpts);
    this.google = this.parts.find((p): p is GoogleHealthSource => p instanceof GoogleHealthSource) ?? null;
  }

  accountStatuses(): AccountStatus[] {
    return this.book.list();
  }

  private context(): ExtensionContext {
    const http = this.http;
    return {
      config: this.opts.config,
      store: this.opts.store,
      logger: this.opts.logger,
      events: this.events,
      version: this.opts.version,
      accounts: () => this.accountStatuses(),
      accountBook: this.book,
      follower: this.follower,
      sinks: () => this.parts.filter((p) => p.kind === 'sink'),
      http: http ?? { route: () => undefined, routePrefix: () => undefined, url: () => null, csrfToken: () => '' },
    };
  }

  async start(): Promise<void> {
    const { logger, config } = this.opts;
    const ctx = this.context();
    this.follower.start();
    if (!this.google) {
      if (!config.google.client_id)
        logger.info('no Google OAuth client configured (google.client_id): the live source is off; Takeout imports and the sinks work as usual');
      if (this.http) registerAuthPageWithoutSource(ctx);
    }
    const startPart = async (part: Extension): Promise<void> => {
      await part.start(ctx);
      this.started.push(part);
      logger.info({ part: part.name, kind: part.kind }, 'part started');
    };
    // sinks first: they are ready before data flows
    for (const part of this.parts) if (part.kind === 'sink') await startPart(part);
    if (this.http) {
      const url = await this.http.listen();
      logger.info({ url, healthz: `${url}/healthz`, auth: `${url}/auth` }, 'HTTP server listening');
    }
    for (const part of this.parts) if (part.kind === 'source') await startPart(part);
  }

  /** Queues `job` of the Google Health source for every live, authorised account. */
  enqueueAll(job: SyncJobKind): void {
    if (!this.stopping) this.google?.enqueueAll(job);
  }

  /** Queues `job` for one account (no-op when stopping, not live, not authorised, or already queued). */
  enqueue(name: string, job: SyncJobKind): void {
    if (!this.stopping) this.google?.enqueue(name, job);
  }

  /** Resolves when no account has queued or running sync work (tests, the demo). */
  async idle(): Promise<void> {
    await this.google?.idle();
  }

  /** Graceful stop: the parts in reverse order (sources, then sinks), the follower, HTTP. The caller closes the store. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const part of [...this.started].reverse()) {
      try {
        await part.stop();
      } catch (e) {
        this.opts.logger.warn({ part: part.name, err: errText(e) }, 'part did not stop cleanly');
      }
    }
    await this.follower.stop();
    await this.http?.close();
  }
}
