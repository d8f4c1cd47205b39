/**
 * What `fitbit-bridge run` offers the parts it hosts (model: zigbee2mqtt's controller and
 * extensions). Each sink (MQTT, Prometheus, remote write, …) is an Extension: the controller
 * calls `start()` once the store and the HTTP server are up and `stop()` on shutdown, in reverse
 * order. An extension learns what happens through `events` and reads data through the store.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountAuthState } from '../auth/oauth-client.js';
import type { LoadedConfig } from '../config/load.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../util/log.js';

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

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface HttpRoutes {
  /** Registers a handler for an exact path (any method; the handler checks it). */
  route(path: string, handler: RouteHandler): void;
  /** The server's base URL once listening, e.g. http://127.0.0.1:8787 (null when HTTP is off). */
  url(): string | null;
}

export interface ExtensionContext {
  config: LoadedConfig;
  store: Store;
  logger: Logger;
  events: BridgeEvents;
  http: HttpRoutes;
  /** The current status of every configured account. */
  accounts(): AccountStatus[];
  /** The bridge's version (package.json). */
  version: string;
}

export interface Extension {
  readonly name: string;
  start(ctx: ExtensionContext): Promise<void>;
  stop(): Promise<void>;
}
