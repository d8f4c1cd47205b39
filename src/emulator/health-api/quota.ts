/** The per-user quota: `limit` requests per sliding 60 s window, then 429 RESOURCE_EXHAUSTED. */
import { ApiError, quotaExceededBody } from './errors.js';

export const QUOTA_WINDOW_MS = 60_000;
export const DEFAULT_QUOTA_PER_MINUTE = 300;

export class SlidingQuota {
  /** Admitted request instants, ascending. */
  private readonly admitted: number[] = [];

  constructor(
    readonly limit: number,
    private readonly retryAfterHeader: boolean,
  ) {}

  /** Requests admitted in (now - 60 s, now]. */
  used(now: number): number {
    let n = 0;
    for (const x of this.admitted) if (x > now - QUOTA_WINDOW_MS && x <= now) n++;
    return n;
  }

  /** Admits a request at `now` or throws the 429 (Retry-After = seconds until a slot frees, at least 1). */
  admit(now: number): void {
    let k = 0;
    while (k < this.admitted.length && (this.admitted[k] as number) <= now - QUOTA_WINDOW_MS) k++;
    if (k) this.admitted.splice(0, k);
    if (this.admitted.length >= this.limit) {
      const oldest = this.admitted[this.admitted.length - this.limit] as number;
      const retry = Math.max(1, Math.ceil((oldest + QUOTA_WINDOW_MS - now) / 1000));
      throw new ApiError(429, quotaExceededBody(this.limit), this.retryAfterHeader ? { 'Retry-After': String(retry) } : {});
    }
    this.admitted.push(now);
  }
}
