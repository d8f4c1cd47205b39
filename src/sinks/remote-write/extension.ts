/**
 * Remote write as an extension of `fitbit-bridge run`: delivers the store's history to the TSDB
 * at `remote_write.url` and keeps up with every change — syncs of this process (`store:changed`),
 * imports by other processes (noticed by the controller's poll and by a timer of its own), late
 * data merged into old days. Lag is logged while behind and available through `stats()`.
 *
 *   const rw = remoteWriteExtension();          // when config.remote_write.url is set
 *   rw.stats().samplesRejected                   // fitbit_bridge_remote_write_rejected_samples_total
 *   rw.events.on('rejected', (s) => …)           // each rejected sample
 */
import { EventEmitter } from 'node:events';
import type { Extension, ExtensionContext } from '../../run/extension.js';
import type { CursorLag } from '../cursor.js';
import { createRemoteWrite } from './index.js';
import { AbortedError, type ClientStats, type RejectedSample } from './client.js';
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
}

export interface RemoteWriteExtensionOptions {
  /** How often to look for changes by other processes and for settled days (ms, default 10 s). */
  pollMs?: number;
  /** How often to log the lag while behind (ms, default 60 s). */
  lagLogMs?: number;
}

const EMPTY_STATS: ClientStats = {
  samplesSent: 0, samplesRejected: 0, requests: 0, retries: 0, bytesSent: 0, lastSuccessAt: null, lastError: null,
};

export function remoteWriteExtension(opts: RemoteWriteExtensionOptions = {}): RemoteWriteExtension {
  const events = new EventEmitter<RemoteWriteExtensionEvents>();
  let sink: RemoteWriteSink | null = null;
  let clientStats: ClientStats = EMPTY_STATS;
  let abort: AbortController | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let lastLagLog = 0;
  let ctxRef: ExtensionContext | null = null;
  const onChanged = (): void => kick();

  function kick(): void {
    if (!sink || !abort || abort.signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = loop().finally(() => { running = null; });
  }

  async function loop(): Promise<void> {
    const s = sink;
    const ctx = ctxRef;
    if (!s || !ctx || !abort) return;
    const signal = abort.signal;
    do {
      again = false;
      try {
        const t0 = Date.now();
        const r = await s.drain(signal, () => logLag(ctx, s));
        if (r.blocks > 0 || r.sent > 0) {
          ctx.logger.info({ blocks: r.blocks, samples: r.sent, rejected: r.rejected, ms: Date.now() - t0, cursor: s.cursor.position() }, 'remote write: delivered');
          events.emit('delivered', r);
        }
      } catch (e) {
        if (e instanceof AbortedError || signal.aborted) return;
        ctx.logger.error({ err: e }, 'remote write: delivery failed; retrying at the next change or poll');
        return;
      }
    } while (again && !signal.aborted);
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
    events,
    async start(ctx: ExtensionContext): Promise<void> {
      const cfg = ctx.config.remote_write;
      if (cfg.url === undefined) {
        ctx.logger.info('remote write is off (remote_write.url is not set)');
        return;
      }
      ctxRef = ctx;
      const logger = ctx.logger.child({ sink: 'remote-write' });
      const rw = createRemoteWrite({ store: ctx.store, config: cfg, logger, userAgent: `fitbit-bridge/${ctx.version}` });
      rw.client.on('rejected', (r) => events.emit('rejected', r));
      clientStats = rw.client.stats;
      sink = rw.sink;
      abort = new AbortController();
      ctx.events.on('store:changed', onChanged);
      timer = setInterval(() => {
        if (!sink) return;
        const lag = sink.cursor.lag();
        if (lag.seqBehind > 0 || sink.lag().dailyWaiting > 0) kick();
      }, opts.pollMs ?? 10_000);
      timer.unref();
      logger.info({ url: cfg.url, cursor: sink.cursor.position(), store_seq: ctx.store.currentSeq() }, 'remote write: started');
      kick();
    },
    async stop(): Promise<void> {
      ctxRef?.events.off('store:changed', onChanged);
      if (timer) clearInterval(timer);
      timer = null;
      abort?.abort();
      await running;
      sink = null;
      abort = null;
    },
    stats(): RemoteWriteStats {
      const lag = sink ? sink.lag() : { seqBehind: 0, seconds: 0, dailyWaiting: 0 };
      return { ...clientStats, enabled: sink !== null, lag: { seqBehind: lag.seqBehind, seconds: lag.seconds }, dailyWaiting: lag.dailyWaiting };
    },
    async idle(): Promise<void> {
      for (;;) {
        if (running) {
          await running;
          continue;
        }
        if (!sink || sink.cursor.lag().seqBehind === 0) return;
        kick();
        if (!running) return;
      }
    },
  };
}
