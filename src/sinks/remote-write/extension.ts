/**
 * Remote write as a sink part of `fitbit-bridge run` (enabled when remote_write.url is set):
 * delivers the store's history to the TSDB at `remote_write.url` and keeps up with every change
 * — syncs of this process, imports by other processes, late data merged into old days — through
 * the bridge's store follower (src/run/store-follower.ts: one pass loop, coalescing, retried
 * with backoff). Per-day values waiting to settle are looked at every `settleCheckMs`. Lag is
 * logged while behind and available through `stats()` and `sinkStatus()` (/metrics).
 *
 *   const rw = remoteWriteExtension();
 *   rw.stats().samplesRejected                   // fitbit_bridge_remote_write_rejected_samples_total
 *   rw.events.on('rejected', (s) => …)           // each rejected sample
 */
import { EventEmitter } from 'node:events';
import type { Extension, ExtensionContext, SinkStatus } from '../../run/extension.js';
import type { Following } from '../../run/store-follower.js';
import type { CursorLag } from '../cursor.js';
import type { RejectedSample } from './client.js';
import { emptyClientStats, type ClientStats } from './stats.js';
import type { RemoteWriteSink } from './sink.js';

export interface RemoteWriteStats extends ClientStats {
  /** Whether remote write runs (url configured and started). */
  enabled: boolean;
  /** The cursor's lag behind the store (`seqBehind` 0 = caught up). */
  lag: CursorLag;
  /** Local days whose per-day series wait to settle. */
  dailyWaiting: number;
}

export interface RemoteWriteExtensionEvents {
  rejected: [RejectedSample];
  /** A delivery pass ended (samples accepted / rejected in it). */
  delivered: [{ sent: number; rejected: number; blocks: number }];
}

export interface RemoteWriteExtension extends Extension {
  /** Counters and lag for /metrics (`fitbit_bridge_remote_write_*`). */
  stats(): RemoteWriteStats;
  readonly events: EventEmitter<RemoteWriteExtensionEvents>;
  /** Resolves when everything in the store now has been delivered (tests). */
  idle(): Promise<void>;
  /** The sink's state for /metrics (fitbit_bridge_sink_*{sink="remote_write"}, fitbit_bridge_remote_write_*). */
  sinkStatus(): SinkStatus | null;
}

export interface RemoteWriteExtensionOptions {
  /** How often to look for per-day values that have settled (ms, default 10 s). */
  settleCheckMs?: number;
  /** Retry delay of a failed delivery (ms): the first and the longest. Default 10 000 … 60 000. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How often to log the lag while behind (ms, default 60 s). */
  lagLogMs?: number;
}

export function remoteWriteExtension(opts: RemoteWriteExtensionOptions = {}): RemoteWriteExtension {
  const events = new EventEmitter<RemoteWriteExtensionEvents>();
  let sink: RemoteWriteSink | null = null;
  let clientStats: ClientStats = emptyClientStats();
  let abort: AbortController | null = null;
  let timer: NodeJS.Timeout | null = null;
  let following: Following | null = null;
  let lastLagLog = 0;

  /** One delivery pass: everything pending now, then the settled per-day series (the client retries a TSDB outage itself). */
  async function pass(ctx: ExtensionContext, s: RemoteWriteSink, signal: AbortSignal): Promise<boolean> {
    const t0 = Date.now();
    const r = await s.drain(signal, () => logLag(ctx, s));
    if (r.blocks > 0 || r.sent > 0) {
      ctx.logger.info({ blocks: r.blocks, samples: r.sent, rejected: r.rejected, ms: Date.now() - t0, cursor: s.cursor.position() }, 'remote write: delivered');
      events.emit('delivered', r);
    }
    return false;
  }

  function logLag(ctx: ExtensionContext, s: RemoteWriteSink): void {
    const now = Date.now();
    if (now - lastLagLog < (opts.lagLogMs ?? 60_000)) return;
    const lag = s.cursor.lag();
    if (lag.seqBehind === 0) return;
    lastLagLog = now;
    ctx.logger.info({ seq_behind: lag.seqBehind, behind_seconds: Math.round(lag.seconds), samples_sent: clientStats.samplesSent }, 'remote write: catching up');
  }

  return {
    name: 'remote-write',
    kind: 'sink',
    events,
    async start(ctx: ExtensionContext): Promise<void> {
      const cfg = ctx.config.remote_write;
      if (cfg.url === undefined) {
        ctx.logger.info('remote write is off (remote_write.url is not set)');
        return;
      }
      const logger = ctx.logger.child({ sink: 'remote-write' });
      // the client (undici) and the encoder are loaded when the sink starts, not by every bridge
      const { createRemoteWrite } = await import('./index.js');
      const rw = createRemoteWrite({ store: ctx.store, config: cfg, logger, userAgent: `fitbit-bridge/${ctx.version}` });
      rw.client.on('rejected', (r) => events.emit('rejected', r));
      clientStats = rw.client.stats;
      const s = rw.sink;
      const signal = (abort = new AbortController()).signal;
      sink = s;
      following = ctx.follower.subscribe({
        name: 'remote-write',
        pass: () => pass(ctx, s, signal),
        retry: { minMs: opts.retryMinMs ?? 10_000, maxMs: opts.retryMaxMs ?? 60_000 },
      });
      // per-day values are sent once their day has settled: a matter of time, not of a change
      timer = setInterval(() => {
        if (s.lag().dailyWaiting > 0) following?.kick();
      }, opts.settleCheckMs ?? 10_000);
      timer.unref();
      logger.info({ url: cfg.url, cursor: s.cursor.position(), store_seq: ctx.store.currentSeq() }, 'remote write: started');
      following.kick();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      const stopping = following?.stop(); // no new pass; the running one ends with the abort
      abort?.abort();
      await stopping;
      following = null;
      sink = null;
      abort = null;
    },
    stats(): RemoteWriteStats {
      const lag = sink ? sink.lag() : { seqBehind: 0, seconds: 0, dailyWaiting: 0 };
      return { ...clientStats, enabled: sink !== null, lag: { seqBehind: lag.seqBehind, seconds: lag.seconds }, dailyWaiting: lag.dailyWaiting };
    },
    async idle(): Promise<void> {
      while (following && sink && sink.cursor.lag().seqBehind > 0) {
        following.kick();
        await following.idle();
      }
      await following?.idle();
    },
    sinkStatus(): SinkStatus | null {
      if (!sink) return null;
      const lag = sink.lag();
      return {
        sink: 'remote_write',
        up: clientStats.lastError === null,
        lagSeconds: lag.seconds,
        pendingChanges: lag.seqBehind,
        lastDeliveryAt: clientStats.lastSuccessAt,
        remoteWrite: {
          samplesSent: clientStats.samplesSent,
          samplesRejected: clientStats.samplesRejected,
          requests: clientStats.requests,
          retries: clientStats.retries,
          bytesSent: clientStats.bytesSent,
          dailyWaiting: lag.dailyWaiting,
        },
      };
    },
  };
}
