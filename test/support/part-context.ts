/**
 * A context for starting one part of `run` on its own (without the controller): the given
 * config, store and account statuses, a BridgeEvents, no HTTP server, and a running store
 * follower (stop it with close()).
 *
 *   const { ctx, close } = partContext({ config, store });
 *   await ext.start(ctx); … await ext.stop(); await close();
 */
import type { LoadedConfig } from '../../src/config/load.js';
import { AccountBook } from '../../src/run/accounts.js';
import { BridgeEvents, type AccountStatus, type ExtensionContext } from '../../src/run/extension.js';
import { StoreFollower } from '../../src/run/store-follower.js';
import type { Store } from '../../src/store/types.js';
import { silentLogger, type Logger } from '../../src/util/log.js';

export function partContext(o: {
  config: LoadedConfig;
  store: Store;
  logger?: Logger;
  events?: BridgeEvents;
  version?: string;
  accounts?: () => AccountStatus[];
}): { ctx: ExtensionContext; follower: StoreFollower; close: () => Promise<void> } {
  const logger = o.logger ?? silentLogger();
  const events = o.events ?? new BridgeEvents();
  const book = new AccountBook(o.config.accounts.map((a) => a.name));
  const follower = new StoreFollower({ store: o.store, logger, events });
  follower.start();
  const ctx: ExtensionContext = {
    config: o.config,
    store: o.store,
    logger,
    events,
    version: o.version ?? 'test',
    http: { route: () => undefined, routePrefix: () => undefined, url: () => null, csrfToken: () => '' },
    accounts: o.accounts ?? (() => book.list()),
    accountBook: book,
    follower,
    sinks: () => [],
  };
  return { ctx, follower, close: () => follower.stop() };
}
