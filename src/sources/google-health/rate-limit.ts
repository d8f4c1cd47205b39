/**
 * Proactive limiter for the Google Health API's per-user quota (300 requests a minute).
 *
 * A sliding-window log: a request is admitted only while fewer than `limit` requests are in flight
 * or finished within the last window. A request counts from its admission, and from the instant
 * its answer came for a whole window after that (Google counts it somewhere in between, so this
 * never undercounts, however long it was queued or on the way). Waiters are served first come,
 * first served, one at a time, so many concurrent callers never overshoot.
 *
 * Margins (so a clean run sees no 429 at all):
 * - `limit` = the quota minus 5 % (at least one request): room for requests another tool makes
 *   with the same user's quota, and for Google counting a little differently;
 * - the window is 60 s + 2 s, for clocks and windows that do not line up exactly.
 * After a 429 the caller pauses the limiter (`pauseFor`): every request waits, not only the one
 * that was refused.
 */
import { systemClock, type Clock } from '../../time/index.js';

export interface SlidingWindowLimiterOptions {
  /** The server's quota per window (default window: one minute). */
  quotaPerMinute: number;
  /** Fraction of the quota kept free. Default 0.05 (at least one request is always kept free when the quota is > 1). */
  marginFraction?: number;
  /** Default 60 000. */
  windowMs?: number;
  /** Added to the window. Default 2 000. */
  guardMs?: number;
  /** Epoch ms; default Date.now. */
  clock?: Clock;
  /** Waits `ms` (or rejects when `signal` aborts). Default: a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_QUOTA_PER_MINUTE = 300;
export const QUOTA_WINDOW_MS = 60_000;
export const QUOTA_GUARD_MS = 2_000;
export const QUOTA_MARGIN_FRACTION = 0.05;

/** The limit the limiter keeps to for a server quota: 300 → 285. */
export function effectiveLimit(quota: number, marginFraction = QUOTA_MARGIN_FRACTION): number {
  if (!Number.isFinite(quota) || quota < 1) throw new RangeError(`quota must be a positive number, got ${quota}`);
  const q = Math.floor(quota);
  if (q === 1) return 1;
  return Math.max(1, q - Math.max(1, Math.ceil(q * marginFraction)));
}

/** A timer that can be cancelled by a signal. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const t = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortReason(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Runs an injected sleep but gives up as soon as `signal` aborts. */
export function raceAbort(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** One admitted request; `release()` when its answer is in (or it failed): the slot then ages out of the window. */
export interface LimiterTicket {
  /** Time waited for the slot (ms, by the limiter's clock). */
  waitedMs: number;
  release(): void;
}

export class SlidingWindowLimiter {
  /** Requests admitted per window (below the server's quota). */
  readonly limit: number;
  readonly spanMs: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Instants at which admitted requests finished, ascending. */
  private readonly stamps: number[] = [];
  /** Admitted requests not finished yet: they count until they finish (Google counts them somewhere in between). */
  private inflight = 0;
  private pausedUntil = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private finished: { promise: Promise<void>; resolve: () => void } = SlidingWindowLimiter.deferred();

  constructor(opts: SlidingWindowLimiterOptions) {
    this.limit = effectiveLimit(opts.quotaPerMinute, opts.marginFraction);
    this.spanMs = (opts.windowMs ?? QUOTA_WINDOW_MS) + (opts.guardMs ?? QUOTA_GUARD_MS);
    this.clock = opts.clock ?? systemClock;
    this.sleep = opts.sleep ?? abortableSleep;
  }

  private static deferred(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    return { promise, resolve };
  }

  /**
   * Waits until one more request fits in the window, then counts it: from now while it is in
   * flight, and from the instant it is released for a window after that. Rejects with the
   * signal's reason when it aborts.
   */
  acquire(signal?: AbortSignal): Promise<LimiterTicket> {
    const turn = this.tail.then(() => this.admit(signal));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** Holds every request until `ms` from now (after a 429). */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock() + Math.max(0, ms));
  }

  /** Admitted requests whose answer is not in yet. */
  get inFlight(): number {
    return this.inflight;
  }

  /** Requests that may still be sent in the current window without waiting. */
  left(now: number = this.clock()): number {
    this.prune(now);
    if (now < this.pausedUntil) return 0;
    return Math.max(0, this.limit - this.stamps.length - this.inflight);
  }

  private prune(now: number): void {
    let k = 0;
    while (k < this.stamps.length && (this.stamps[k] as number) <= now - this.spanMs) k++;
    if (k > 0) this.stamps.splice(0, k);
  }

  private release(): void {
    this.inflight--;
    const now = this.clock();
    const last = this.stamps[this.stamps.length - 1];
    this.stamps.push(last !== undefined && last > now ? last : now);
    const f = this.finished;
    this.finished = SlidingWindowLimiter.deferred();
    f.resolve();
  }

  private async admit(signal?: AbortSignal): Promise<LimiterTicket> {
    const started = this.clock();
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      const now = this.clock();
      this.prune(now);
      const used = this.stamps.length + this.inflight;
      if (now >= this.pausedUntil && used < this.limit) {
        this.inflight++;
        let released = false;
        return {
          waitedMs: Math.max(0, now - started),
          release: () => {
            if (released) return;
            released = true;
            this.release();
          },
        };
      }
      let until = this.pausedUntil;
      if (used >= this.limit) {
        const expire = used - this.limit + 1; // this many finished requests must leave the window
        if (expire > this.stamps.length) {
          // the window is full of requests still in flight: wait for one to finish
          await raceAbort(this.finished.promise, signal);
          continue;
        }
        until = Math.max(until, (this.stamps[expire - 1] as number) + this.spanMs);
      }
      await raceAbort(this.sleep(Math.max(0, until - now), signal), signal);
    }
  }
}
