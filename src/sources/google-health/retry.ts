/**
 * Back-off policy of the Health API client.
 *
 * - 5xx, timeouts, reset connections, truncated bodies: exponential from 1 s, doubling, capped at
 *   30 s, with jitter (each delay is drawn from [½, 1] × the step): 0.5–1 s, 1–2 s, 2–4 s, 4–8 s,
 *   8–16 s. A Retry-After on a 5xx is honoured as a minimum.
 * - 429 with Retry-After: at least Retry-After, plus up to 1 s of jitter so that waiters do not
 *   all come back in the same instant.
 * - 429 without Retry-After (undocumented for this API): the quota is per minute, so the wait
 *   starts at 10 s and doubles to a cap of 60 s, jittered upwards by up to 25 % (10–12.5 s,
 *   20–25 s, 40–50 s, 60–75 s): a few retries cover a whole quota window.
 * The number of attempts is bounded by the client (`maxAttempts`, default 6, the first included).
 */

export interface BackoffPolicy {
  /** First delay step. */
  baseMs: number;
  /** Cap of the step. */
  maxMs: number;
  factor: number;
  /** Delay = step × (low + (high − low) × random()). */
  jitter: readonly [low: number, high: number];
}

export const SERVER_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 30_000, factor: 2, jitter: [0.5, 1] };
export const RATE_LIMIT_BACKOFF: BackoffPolicy = { baseMs: 10_000, maxMs: 60_000, factor: 2, jitter: [1, 1.25] };
/** Jitter added on top of a Retry-After. */
export const RETRY_AFTER_JITTER_MS = 1_000;
export const DEFAULT_MAX_ATTEMPTS = 6;

/** The delay before retry number `retry` (1 = the first retry). */
export function backoffDelay(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(retry));
  const step = Math.min(policy.maxMs, policy.baseMs * policy.factor ** (n - 1));
  const [lo, hi] = policy.jitter;
  return Math.round(step * (lo + (hi - lo) * clamp01(random())));
}

/** The wait after a 429: at least Retry-After when the server sent one, else the 429 back-off. */
export function rateLimitDelay(retryAfterSeconds: number | null, retry: number, random: () => number = Math.random): number {
  if (retryAfterSeconds !== null && Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0) {
    return Math.ceil(retryAfterSeconds * 1000 + RETRY_AFTER_JITTER_MS * clamp01(random()));
  }
  return backoffDelay(RATE_LIMIT_BACKOFF, retry, random);
}

/** The wait after a 5xx or a transport failure; a Retry-After (5xx) is a minimum. */
export function serverErrorDelay(retryAfterSeconds: number | null, retry: number, random: () => number = Math.random): number {
  const b = backoffDelay(SERVER_BACKOFF, retry, random);
  return retryAfterSeconds !== null && retryAfterSeconds >= 0 ? Math.max(b, Math.ceil(retryAfterSeconds * 1000)) : b;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0.5;
}
