/**
 * The live source as `run` uses it: one HealthClient per account (so its quota limiter spans all
 * of the account's jobs), the account's time zone, and `syncAccount` per scheduled job.
 *
 * Jobs: `recent` and `daily` are the incremental passes of their type groups; `backfill` reads
 * older history in slices of at most half the per-minute quota, so the frequent `recent` job
 * always finds quota left.
 */
import type { TokenManager } from '../auth/oauth-client.js';
import type { LoadedConfig } from '../config/load.js';
import { HealthClient, type RequestEvent } from '../sources/google-health/client.js';
import { resolveAccountTimezone } from '../sources/google-health/account.js';
import { syncAccount } from '../sources/google-health/sync.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../util/log.js';
import type { SyncRunner } from './controller.js';

export interface LiveSyncOptions {
  config: LoadedConfig;
  store: Store;
  logger: Logger;
  onRequest?: (account: string, e: RequestEvent) => void;
}

export function createSyncRunner(opts: LiveSyncOptions): SyncRunner {
  const clients = new Map<string, HealthClient>();
  const clientFor = (account: string, tokens: TokenManager, signal: AbortSignal): HealthClient => {
    let c = clients.get(account);
    if (!c) {
      c = new HealthClient({
        baseUrl: opts.config.google.api_base_url,
        getAccessToken: (o) => tokens.getAccessToken(o),
        quotaPerMinute: opts.config.google.quota_per_minute,
        logger: opts.logger.child({ account }),
        onRequest: (e) => opts.onRequest?.(account, e),
        // the controller's shutdown signal: a stop cuts waits and retries short (the transaction of a page is never cut)
        signal,
      });
      clients.set(account, c);
    }
    return c;
  };
  return async ({ account, job, signal, tokens }) => {
    const client = clientFor(account, tokens, signal);
    const log = opts.logger.child({ account, job });
    const timezone = await resolveAccountTimezone(opts.config, opts.store, account, client, log);
    const r = await syncAccount({
      store: opts.store, client, account, timezone, mode: job, config: opts.config.sync,
      quotaPerMinute: opts.config.google.quota_per_minute, logger: log, signal,
      ...(job === 'backfill' ? { maxRequests: Math.max(1, Math.floor(opts.config.google.quota_per_minute / 2)) } : {}),
    });
    return { added: r.added + r.changed + r.sessions, requests: r.requests, quotaLeft: client.stats.quotaLeft() };
  };
}
