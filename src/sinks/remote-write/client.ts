/**
 * The remote write 1.0 client: POSTs snappy-compressed protobuf WriteRequests and makes sure each
 * sample is either stored or knowingly rejected — never silently lost.
 *
 * - 2xx: delivered.
 * - 5xx, 429, timeouts, no connection: the TSDB is down or overloaded; the same request is sent
 *   again after a backoff (doubling up to max_backoff_seconds, Retry-After honoured), for as long
 *   as it takes (until stop()).
 * - 400, 409, 413, 422: the receiver rejects the request — Prometheus rejects a WHOLE request for
 *   one sample at an instant it already holds with another value, or one sample out of its time
 *   bounds (and 413 says it is too large). The request is bisected: each half is sent on its own,
 *   recursively, until the bad samples are isolated; those are counted and logged, the rest is
 *   delivered. (Prometheus 2.x answers a sample older than its out-of-order window with a 500
 *   "too old sample": such 5xx are treated the same way.)
 * - any other 4xx (401, 403, 404, …): a configuration problem (credentials, URL), not bad data.
 *   Nothing is dropped: it is logged as an error and retried with the longest backoff.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../../util/log.js';
import { encodeWriteRequest, type SeriesChunk } from './protobuf.js';
import { snappyCompress } from './snappy.js';
import { emptyClientStats, type ClientStats } from './stats.js';

export type { ClientStats } from './stats.js';

export interface RemoteWriteClientOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  bearerToken?: string | undefined;
  headers?: Record<string, string> | undefined;
  timeoutMs?: number;
  /** First retry delay (ms, default 500) and the longest (default 60 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  logger: Logger;
  userAgent?: string;
  dispatcher?: Dispatcher;
}

export interface RejectedSample {
  labels: readonly (readonly [string, string])[];
  t: number;
  v: number;
  status: number;
  reason: string;
}

export interface ClientEvents {
  /** A sample was isolated and rejected by the receiver. */
  rejected: [RejectedSample];
  /** A request failed and will be sent again after `delayMs`. */
  retry: [{ status: number | null; error: string; delayMs: number; attempt: number }];
}

/** Thrown when the client was stopped while a request waited for a retry. */
export class AbortedError extends Error {
  constructor() {
    super('remote write stopped');
    this.name = 'AbortedError';
  }
}

type Outcome =
  | { kind: 'ok' }
  | { kind: 'retry'; status: number | null; error: string; retryAfterMs: number | null; config: boolean }
  | { kind: 'reject'; status: number; error: string };

const BISECT_STATUSES = new Set([400, 409, 413, 422]);
const BAD_DATA_5XX = /too old sample|out of bounds|out of order sample|duplicate sample for timestamp/i;

function count(chunks: readonly SeriesChunk[]): number {
  let n = 0;
  for (const c of chunks) n += c.t.length;
  return n;
}

/** Splits a request in two halves by sample count (a series' run may be split in two). */
export function splitChunks(chunks: readonly SeriesChunk[]): [SeriesChunk[], SeriesChunk[]] {
  const half = Math.floor(count(chunks) / 2);
  const a: SeriesChunk[] = [];
  const b: SeriesChunk[] = [];
  let seen = 0;
  for (const c of chunks) {
    const n = c.t.length;
    if (seen + n <= half) a.push(c);
    else if (seen >= half) b.push(c);
    else {
      const k = half - seen;
      a.push({ labels: c.labels, t: sub(c.t, 0, k), v: sub(c.v, 0, k) });
      b.push({ labels: c.labels, t: sub(c.t, k, n), v: sub(c.v, k, n) });
    }
    seen += n;
  }
  return [a, b];
}

function sub(a: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  if (a instanceof Float64Array) return a.subarray(from, to);
  return Array.prototype.slice.call(a, from, to) as number[];
}

function parseRetryAfter(h: string | string[] | undefined): number | null {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined) return null;
  const secs = Number(v);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

export class RemoteWriteClient extends EventEmitter<ClientEvents> {
  readonly stats: ClientStats = emptyClientStats();
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly opts: RemoteWriteClientOptions) {
    super();
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.minBackoffMs = opts.minBackoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 60_000;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    if (opts.bearerToken !== undefined) headers.authorization = `Bearer ${opts.bearerToken}`;
    else if (opts.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
    Object.assign(headers, {
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': opts.userAgent ?? 'fitbit-bridge',
    });
    this.headers = headers;
  }

  /**
   * Delivers the chunks (each a run of one series' samples in time order). Resolves when every
   * sample is stored or rejected on its own; rejects only with AbortedError (signal).
   */
  async write(chunks: readonly SeriesChunk[], signal?: AbortSignal): Promise<{ sent: number; rejected: number }> {
    const nonEmpty = chunks.filter((c) => c.t.length > 0);
    if (nonEmpty.length === 0) return { sent: 0, rejected: 0 };
    const before = { sent: this.stats.samplesSent, rejected: this.stats.samplesRejected };
    await this.deliver(nonEmpty, signal);
    return { sent: this.stats.samplesSent - before.sent, rejected: this.stats.samplesRejected - before.rejected };
  }

  private async deliver(chunks: SeriesChunk[], signal: AbortSignal | undefined): Promise<void> {
    const body = snappyCompress(encodeWriteRequest(chunks));
    const n = count(chunks);
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new AbortedError();
      const out = await this.post(body, signal);
      if (out.kind === 'ok') {
        this.stats.samplesSent += n;
        this.stats.bytesSent += body.length;
        this.stats.lastSuccessAt = Date.now();
        this.stats.lastError = null;
        return;
      }
      if (out.kind === 'reject') {
        if (n === 1) {
          const c = chunks[0]!;
          const rej: RejectedSample = { labels: c.labels.labels, t: c.t[0]!, v: c.v[0]!, status: out.status, reason: out.error };
          this.stats.samplesRejected++;
          this.opts.logger.warn(
            {
              series: Object.fromEntries(rej.labels),
              timestamp: new Date(rej.t).toISOString(),
              value: rej.v,
              status: rej.status,
              reason: rej.reason,
            },
            'remote write: the receiver rejected a sample; it is skipped (the rest is delivered)',
          );
          this.emit('rejected', rej);
          return;
        }
        const [a, b] = splitChunks(chunks);
        await this.deliver(a, signal);
        await this.deliver(b, signal);
        return;
      }
      // retry
      this.stats.retries++;
      this.stats.lastError = out.error;
      const backoff = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** Math.min(attempt - 1, 20));
      let delayMs = out.config ? this.maxBackoffMs : backoff;
      if (out.retryAfterMs !== null) delayMs = Math.min(this.maxBackoffMs, Math.max(delayMs, out.retryAfterMs));
      delayMs = Math.round(delayMs * (0.8 + Math.random() * 0.4));
      const log = { status: out.status, error: out.error, attempt, retry_in_ms: delayMs };
      if (out.config)
        this.opts.logger.error(
          log,
          'remote write: the receiver refuses the requests (check remote_write.url and the credentials); nothing is dropped, retrying',
        );
      else if (attempt === 1 || attempt % 10 === 0) this.opts.logger.warn(log, 'remote write: the receiver is unavailable; retrying');
      this.emit('retry', { status: out.status, error: out.error, delayMs, attempt });
      try {
        await sleep(delayMs, undefined, signal ? { signal } : undefined);
      } catch {
        throw new AbortedError();
      }
    }
  }

  private async post(body: Buffer, signal: AbortSignal | undefined): Promise<Outcome> {
    this.stats.requests++;
    try {
      const res = await request(this.opts.url, {
        method: 'POST',
        body,
        headers: { ...this.headers, 'content-length': String(body.length) },
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(signal ? { signal } : {}),
        ...(this.opts.dispatcher ? { dispatcher: this.opts.dispatcher } : {}),
      });
      const text = (await res.body.text()).trim().slice(0, 500);
      const status = res.statusCode;
      if (status >= 200 && status < 300) return { kind: 'ok' };
      const error = `HTTP ${status}${text ? `: ${text}` : ''}`;
      // Prometheus 2.x answers 500 for a sample older than its out-of-order window ("too old
      // sample"): bad data, not an outage, so it is bisected like a 400.
      if (status >= 500 && BAD_DATA_5XX.test(text)) return { kind: 'reject', status, error: text };
      if (status >= 500 || status === 429) return { kind: 'retry', status, error, retryAfterMs: parseRetryAfter(res.headers['retry-after']), config: false };
      if (BISECT_STATUSES.has(status)) return { kind: 'reject', status, error: text || `HTTP ${status}` };
      return { kind: 'retry', status, error, retryAfterMs: null, config: true };
    } catch (e) {
      if (signal?.aborted) throw new AbortedError();
      const err = e as Error & { code?: string };
      return { kind: 'retry', status: null, error: `${err.code ?? err.name}: ${err.message}`, retryAfterMs: null, config: false };
    }
  }
}
