/**
 * The one follower of the store's change sequence in `fitbit-bridge run`: a single timer reads
 * `store.currentSeq()` (a tiny SELECT) every `pollMs` (default 50 ms, so a write by another
 * process — an `import-takeout` beside `run` — reaches MQTT about as fast as one of this process)
 * and, once per change, emits `store:changed` and wakes every subscribed sink.
 *
 * A sink subscribes with the pass that delivers what is pending from its durable cursor
 * (src/sinks/cursor.ts):
 *
 *   const following = ctx.follower.subscribe({ name: 'mqtt', pass: async () => { …; return morePending; } });
 *   following.kick();      // a pass soon (e.g. the broker came back); coalesces
 *   await following.stop(); // no new pass; waits for the running one
 *
 * Each subscription runs its passes one at a time: a change or a kick() while a pass runs
 * schedules exactly one more pass (any number of them coalesce); a pass that resolves true (more
 * pending) is followed by another at once; a pass that throws is retried after a backoff that
 * doubles from `retry.minMs` to `retry.maxMs` (changes meanwhile fold into that retry) and
 * resets after a pass that succeeds. Sinks never overlap with themselves but do not wait for
 * each other.
 */
import { errText } from '../errors.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../util/log.js';
import type { BridgeEvents } from './extension.js';

export interface RetryBounds {
  /** First retry delay after a failed pass (ms). */
  minMs: number;
  /** Longest retry delay (ms). */
  maxMs: number;
}

export interface FollowSpec {
  /** The sink's name (logs). */
  name: string;
  /** Delivers pending changes; resolves true when more is pending. Throws when it failed (retried with backoff). */
  pass(): Promise<boolean>;
  /** Backoff of failed passes. Default 1 000 … 60 000 ms. */
  retry?: RetryBounds;
}

export interface Following {
  /** Asks for a pass (now, or one more after the running one; during a backoff: the retry). */
  kick(): void;
  /** Resolves when no pass runs and none is due (a retry included: tests, flushes). */
  idle(): Promise<void>;
  /** No new passes; resolves when the running one ended. */
  stop(): Promise<void>;
}

export interface StoreFollowerOptions {
  store: Store;
  logger: Logger;
  /** Where `store:changed` is announced (the bridge's events). */
  events?: BridgeEvents;
  /** How often the change sequence is read (ms). Default 50. */
  pollMs?: number;
}

const DEFAULT_RETRY: RetryBounds = { minMs: 1000, maxMs: 60_000 };

/** One subscription's pass loop: coalescing, one pass at a time, backoff after a failure. */
class PassLoop implements Following {
  private dirty = false;
  private running: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly spec: FollowSpec,
    private readonly logger: Logger,
    private readonly onStop: (l: PassLoop) => void,
  ) {}

  kick(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (!this.running && !this.retryTimer) this.run();
  }

  idle(): Promise<void> {
    if (this.quiet()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.onStop(this);
    await this.running;
    this.notify();
  }

  private quiet(): boolean {
    return this.stopped || (!this.running && !this.retryTimer && !this.dirty);
  }

  private notify(): void {
    if (!this.quiet()) return;
    for (const w of this.waiters.splice(0)) w();
  }

  private run(): void {
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.dirty && !this.retryTimer && !this.stopped) this.run();
      else this.notify();
    });
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      try {
        if (await this.spec.pass()) this.dirty = true;
        this.failures = 0;
      } catch (e) {
        if (this.stopped) return;
        this.dirty = true;
        const { minMs, maxMs } = this.spec.retry ?? DEFAULT_RETRY;
        const delay = Math.min(maxMs, minMs * 2 ** Math.min(this.failures, 20));
        this.failures++;
        this.logger.warn(
          { sink: this.spec.name, err: errText(e), retry_ms: delay, failures: this.failures },
          `${this.spec.name}: delivery pass failed; retrying (nothing is lost: delivery resumes from the cursor)`,
        );
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          if (!this.stopped && !this.running) this.run();
        }, delay);
        this.retryTimer.unref();
        return;
      }
    }
  }
}

export class StoreFollower {
  private readonly loops = new Set<PassLoop>();
  private timer: NodeJS.Timeout | null = null;
  private lastSeq = -1;
  private warned = false;

  constructor(private readonly opts: StoreFollowerOptions) {}

  /** Starts the poll (the current sequence is the baseline: only later changes count). */
  start(): void {
    if (this.timer) return;
    try {
      this.lastSeq = this.opts.store.currentSeq();
    } catch {
      this.lastSeq = -1;
    }
    this.timer = setInterval(() => this.check(), this.opts.pollMs ?? 50);
    this.timer.unref();
  }

  /** Reads the change sequence now; on a change announces it and wakes every subscription. */
  check(): void {
    let seq: number;
    try {
      seq = this.opts.store.currentSeq();
    } catch (e) {
      if (!this.warned) this.opts.logger.warn({ err: errText(e) }, "could not read the store's change sequence");
      this.warned = true;
      return;
    }
    this.warned = false;
    if (seq === this.lastSeq) return;
    this.lastSeq = seq;
    this.opts.events?.emit('store:changed', { seq });
    for (const l of this.loops) l.kick();
  }

  /** Follows the store with `spec.pass` (the first pass comes with the next change or kick()). */
  subscribe(spec: FollowSpec): Following {
    const loop = new PassLoop(spec, this.opts.logger, (l) => this.loops.delete(l));
    this.loops.add(loop);
    return loop;
  }

  /** Stops the poll and every subscription (awaits their running passes). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.loops].map((l) => l.stop()));
  }
}
