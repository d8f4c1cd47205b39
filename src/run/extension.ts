/**
 * What `fitbit-bridge run` offers the parts it hosts (model: zigbee2mqtt's controller and
 * extensions). Every source (Google Health, the Takeout drop folder) and every sink (Prometheus,
 * MQTT, remote write) is an Extension, listed in the table of parts (src/run/parts.ts): the
 * controller starts them in the table's order — sinks first, then (with the HTTP server
 * listening) the sources — and stops them in reverse, so the sources end before the sinks and
 * the store close. A part learns what happens through `events`, reads data through the store,
 * follows the store's changes through `follower` (sinks) and sees the other sinks through
 * `sinks()` (/metrics).
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountAuthState } from '../auth/oauth-client.js';
import type { LoadedConfig } from '../config/load.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../util/log.js';
import type { AccountBook } from './accounts.js';
import type { StoreFollower } from './store-follower.js';

export type SyncJobKind = 'recent' | 'daily' | 'backfill';

/** What the bridge knows about one account right now (published by the sinks). */
export interface AccountStatus {
  name: string;
  /** Whether the live source is set up for the account (client configured). */
  live: boolean;
  /** Token state; 'missing' when never authorised (Takeout-only accounts). */
  auth: AccountAuthState;
  /** Epoch ms of the last sync attempt / last successful sync, null if none. */
  lastSyncAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  /** Requests left in the current quota minute, null when unknown. */
  quotaLeft: number | null;
  /** Samples / sessions written by the last successful sync. */
  lastAdded: number;
}

export interface SyncFinished {
  account: string;
  job: SyncJobKind;
  ok: boolean;
  /** Samples added or changed, sessions changed. */
  added: number;
  requests: number;
  error?: string;
  ms: number;
}

export interface BridgeEventMap {
  /** A sync job ended (ok or not). */
  'sync:finished': [SyncFinished];
  /** An account's status changed (auth state, last sync, error). */
  'account:status': [AccountStatus];
  /** The store's change sequence moved (this process or another one wrote). */
  'store:changed': [{ seq: number }];
  /** One API request was answered (or failed). */
  'api:request': [{ account: string; outcome: string; status: number | null; ms: number }];
}

/** A typed EventEmitter for the bridge's events. */
export class BridgeEvents extends EventEmitter<BridgeEventMap> {}

/**
 * A route's handler. `form` is the urlencoded body of a state-changing request (any method but
 * GET/HEAD), already read by the server (which checked its Origin and CSRF token).
 */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL, form?: URLSearchParams) => void | Promise<void>;

export interface RouteOptions {
  /**
   * The methods the route takes (default GET; GET brings HEAD). Others get 405 with Allow. Any
   * method but GET/HEAD changes state: the server lets it through only with a same-origin
   * Origin/Referer and the CSRF token (see src/run/http.ts).
   */
  methods?: readonly string[];
}

export interface HttpRoutes {
  /** Registers a handler for an exact path. */
  route(path: string, handler: RouteHandler, options?: RouteOptions): void;
  /**
   * Registers a handler for every path under `prefix` (which starts and ends with `/`, e.g.
   * `/api/`); the longest prefix wins, an exact route wins over any prefix. The handler reads
   * the rest of the path from `url.pathname`.
   */
  routePrefix(prefix: string, handler: RouteHandler, options?: RouteOptions): void;
  /** The server's base URL once listening, e.g. http://127.0.0.1:8787 (null when HTTP is off). */
  url(): string | null;
  /** The CSRF token a page puts into its forms (hidden field `csrf`). */
  csrfToken(): string;
}

export interface ExtensionContext {
  config: LoadedConfig;
  store: Store;
  logger: Logger;
  events: BridgeEvents;
  http: HttpRoutes;
  /** The current status of every configured account. */
  accounts(): AccountStatus[];
  /** The account statuses themselves (the Google Health source updates them). */
  accountBook: AccountBook;
  /** The one follower of the store's change sequence (sinks subscribe their delivery passes). */
  follower: StoreFollower;
  /** The sinks the bridge hosts (for /metrics: their `sinkStatus()`). */
  sinks(): readonly Extension[];
  /** The bridge's version (package.json). */
  version: string;
}

export type PartKind = 'source' | 'sink';

/** How a delivering sink stands (fitbit_bridge_sink_* on /metrics). */
export interface SinkStatus {
  /** The `sink` label ('mqtt', 'remote_write'). */
  sink: string;
  /** Running and connected to its receiver. */
  up: boolean;
  /** How long it has been behind the store (s; 0 when it delivered every change). */
  lagSeconds: number;
  /** Store changes (sequence numbers) not delivered yet. */
  pendingChanges: number;
  /** When it last delivered (epoch ms), null if never. */
  lastDeliveryAt: number | null;
  /** Remote write's receiver counters (fitbit_bridge_remote_write_*); absent for other sinks. */
  remoteWrite?: RemoteWriteCounters;
}

export interface RemoteWriteCounters {
  samplesSent: number;
  samplesRejected: number;
  requests: number;
  retries: number;
  bytesSent: number;
  /** Per-day values waiting to settle. */
  dailyWaiting: number;
}

export interface Extension {
  readonly name: string;
  /** A source writes into the store; a sink reads from it. */
  readonly kind: PartKind;
  start(ctx: ExtensionContext): Promise<void>;
  stop(): Promise<void>;
  /** A delivering sink's state (null while it does not run). */
  sinkStatus?(): SinkStatus | null;
}
