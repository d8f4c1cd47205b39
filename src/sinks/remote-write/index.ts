/** Remote write: building the client and the sink from the `remote_write` config section. */
import type { Config } from '../../config/schema.js';
import type { Store } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import { RemoteWriteClient } from './client.js';
import { RemoteWriteSink } from './sink.js';

export { RemoteWriteClient, type ClientStats, type RejectedSample } from './client.js';
export { RemoteWriteSink, SINK_NAME } from './sink.js';

export type RemoteWriteConfig = Config['remote_write'];

export function createRemoteWrite(opts: {
  store: Store;
  config: RemoteWriteConfig;
  logger: Logger;
  userAgent?: string;
  /** Override the first retry delay (tests). */
  minBackoffMs?: number;
  blocksPerPass?: number;
}): { client: RemoteWriteClient; sink: RemoteWriteSink } {
  const { config: cfg } = opts;
  if (cfg.url === undefined) throw new Error('remote_write.url is not set');
  const client = new RemoteWriteClient({
    url: cfg.url,
    username: cfg.username,
    password: cfg.password,
    bearerToken: cfg.bearer_token,
    headers: cfg.headers,
    timeoutMs: cfg.timeout_seconds * 1000,
    maxBackoffMs: cfg.max_backoff_seconds * 1000,
    logger: opts.logger,
    ...(opts.minBackoffMs !== undefined ? { minBackoffMs: opts.minBackoffMs } : {}),
    ...(opts.userAgent !== undefined ? { userAgent: opts.userAgent } : {}),
  });
  const sink = new RemoteWriteSink({
    store: opts.store,
    client,
    logger: opts.logger,
    batchSamples: cfg.batch_samples,
    from: cfg.from,
    dailySettleMs: cfg.daily_settle_hours * 3_600_000,
    ...(opts.blocksPerPass !== undefined ? { blocksPerPass: opts.blocksPerPass } : {}),
  });
  return { client, sink };
}
