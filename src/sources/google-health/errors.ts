/**
 * Errors of the Google Health API, turned into typed errors that say what to do.
 *
 * Google APIs answer errors with a `google.rpc.Status` body:
 *   {"error":{"code":400,"message":"…","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"…","metadata":{…}}, …]}}
 * An unknown URL path gives Google's HTML 404 page instead. The body is validated at this edge
 * (zod); anything that is not a Status becomes an `UnexpectedResponseError` with the start of the
 * body (never the request's credentials).
 */
import { z } from 'zod';
import { BridgeError } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';
import { calledMethodOf, shortMethod, shortScope, whyMissing } from './scopes.js';

const errorInfoSchema = z.looseObject({
  '@type': z.literal('type.googleapis.com/google.rpc.ErrorInfo'),
  reason: z.string().optional(),
  domain: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

const badRequestSchema = z.looseObject({
  '@type': z.literal('type.googleapis.com/google.rpc.BadRequest'),
  fieldViolations: z.array(z.looseObject({ field: z.string().optional(), description: z.string().optional() })).optional(),
});

const statusBodySchema = z.object({
  error: z.looseObject({
    code: z.number().int(),
    message: z.string().default(''),
    status: z.string().optional(),
    details: z.array(z.record(z.string(), z.unknown())).optional(),
  }),
});

/** What kind of problem a Health API error is, and so what the bridge does about it. */
export type HealthApiErrorKind =
  | 'unauthenticated' // 401: refresh the access token once, then re-authorise
  | 'account-not-linked' // the Google account has no Fitbit / Google Health data linked
  | 'missing-scope' // the user did not grant a scope this request needs
  | 'permission-denied' // other 403s (cleared by re-consent)
  | 'invalid-filter' // our filter was rejected (a bug, or a member this type does not support)
  | 'invalid-argument'
  | 'not-found'
  | 'rate-limited' // 429: wait (Retry-After) and try again
  | 'server' // 5xx: back off and try again
  | 'other';

/**
 * A Google Health API error answer. Exit code 2 for the account-level kinds the user must fix
 * (authorisation, linking), 1 for the rest (a sync stores what it could).
 */
export class HealthApiError extends BridgeError {
  override readonly name = 'HealthApiError';
  constructor(
    readonly kind: HealthApiErrorKind,
    readonly httpStatus: number,
    /** `google.rpc.Status.status`, e.g. INVALID_ARGUMENT. */
    readonly status: string | null,
    /** ErrorInfo reason, e.g. ACCOUNT_NOT_LINKED, INVALID_DATA_POINT_FILTER. */
    readonly reason: string | null,
    /** ErrorInfo metadata.detailedReasons as sent, e.g. INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER (comma-joined when several: see `detailedReasons`). */
    readonly detailedReason: string | null,
    /** What Google said (status, reasons, message, field violations). */
    what: string,
    /** Seconds from a Retry-After header, when there was one. */
    readonly retryAfterSeconds: number | null = null,
    /** What to do; the message is `what — advice`. */
    advice: string = ADVICE[kind],
  ) {
    super(what, advice, kind === 'unauthenticated' || kind === 'account-not-linked' ? EXIT.USAGE : EXIT.PARTIAL, { message: `${what} — ${advice}` });
  }

  /** BadRequest.fieldViolations, every one (a refused filter has one per refused term). */
  readonly violations: FieldViolation[] = [];

  /** Worth retrying later, with back-off (429 and 5xx). */
  get retryable(): boolean {
    return this.kind === 'rate-limited' || this.kind === 'server';
  }

  /**
   * Every detailed reason: `metadata.detailedReasons` is comma-joined, one entry per refused
   * term (`"INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER,INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"`).
   */
  get detailedReasons(): string[] {
    return (this.detailedReason ?? '')
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '');
  }

  /** Filter members the violations name as not supported (`Member 'sleep.interval.start_time' is not supported …`), in order, once each. */
  get refusedMembers(): string[] {
    const out: string[] = [];
    for (const v of this.violations) {
      const m = /Member '([^']+)' is not supported/.exec(v.description);
      if (m && !out.includes(m[1]!)) out.push(m[1]!);
    }
    return out;
  }
}

export interface FieldViolation {
  field: string | null;
  description: string;
}

/** A response that is not a google.rpc.Status (e.g. Google's HTML 404 page, a proxy's page, a truncated body). */
export class UnexpectedResponseError extends BridgeError {
  override readonly name = 'UnexpectedResponseError';
  constructor(
    readonly httpStatus: number,
    readonly contentType: string | null,
    readonly bodyStart: string,
    what: string,
  ) {
    super(what, '', EXIT.PARTIAL);
  }
}

const ADVICE: Record<HealthApiErrorKind, string> = {
  unauthenticated: 'The access token was refused; the bridge refreshes it once, and if that fails the account needs `fitbit-bridge auth` again.',
  'account-not-linked':
    'This Google account has no Fitbit data linked to Google Health: open the Fitbit app, sign in with this Google account and finish moving the Fitbit account to Google, then run `fitbit-bridge auth` again.',
  'missing-scope':
    'A permission this request needs is not in the authorisation of this account: run `fitbit-bridge auth` again for this account and tick every box on the Google consent page.',
  'permission-denied': 'Google refused access; run `fitbit-bridge auth` again to renew the consent.',
  'invalid-filter':
    'The API rejected a filter of fitbit-bridge; please report this with the log line (the bridge retries with the alternative filter where one exists).',
  'invalid-argument': 'The API rejected a request of fitbit-bridge; please report this with the log line.',
  'not-found': 'The API does not know this resource.',
  'rate-limited': 'The per-user quota (300 requests a minute) is used up; the bridge waits and goes on.',
  server: 'Google had a temporary problem; the bridge backs off and tries again.',
  other: 'Unexpected answer from the Google Health API.',
};

function classify(http: number, status: string | null, reason: string | null): HealthApiErrorKind {
  if (http === 401 || status === 'UNAUTHENTICATED') return 'unauthenticated';
  if (reason === 'ACCOUNT_NOT_LINKED') return 'account-not-linked';
  if (reason === 'MISSING_OAUTH_SCOPE' || reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT') return 'missing-scope';
  if (http === 403 || status === 'PERMISSION_DENIED') return 'permission-denied';
  if (reason === 'INVALID_DATA_POINT_FILTER') return 'invalid-filter';
  if (http === 429 || status === 'RESOURCE_EXHAUSTED') return 'rate-limited';
  if (http >= 500) return 'server';
  if (http === 404 || status === 'NOT_FOUND') return 'not-found';
  if (http === 400 || status === 'INVALID_ARGUMENT' || status === 'FAILED_PRECONDITION') return 'invalid-argument';
  return 'other';
}

/**
 * The advice of a 403 for a missing scope when the request is one of the table's (scopes.ts):
 * the scope by name, which call needs it and why, and the command. An authorisation from before
 * fitbit-bridge asked for a scope (e.g. settings.readonly) lacks it although the user ticked every
 * box then, so the advice does not say "tick every box" but names the one to allow.
 */
export function missingScopeAdvice(httpMethod: string, path: string): string {
  const m = calledMethodOf(httpMethod, path);
  if (m === null) return ADVICE['missing-scope'];
  const scope = shortScope(m.scope);
  return (
    `The account's authorisation lacks ${scope}, which ${shortMethod(m.method)} needs ${m.purpose} (${whyMissing(m.scope)}); ` +
    `meanwhile ${m.meanwhile(null)}. Run \`fitbit-bridge auth\` again for this account and allow ${scope} on Google's consent page.`
  );
}

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or null. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Turns an error response into a typed error. `body` is the response text; `contentType` and
 * `retryAfter` the headers of the same name; `request` the call that got it (names the missing
 * scope of a 403, see missingScopeAdvice).
 */
export function healthApiError(
  httpStatus: number,
  body: string,
  contentType: string | null = null,
  retryAfter: string | null = null,
  request: { method: string; path: string } | null = null,
): HealthApiError | UnexpectedResponseError {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const start = body.slice(0, 200).replace(/\s+/g, ' ').trim();
    const html = /html/i.test(contentType ?? '') || /^<!DOCTYPE html|^<html/i.test(body.trimStart());
    const what = html
      ? `the Google Health API answered HTTP ${httpStatus} with an HTML page (${httpStatus === 404 ? 'an unknown URL: check the API base URL in the configuration' : 'not an API response: a proxy or captive portal?'})`
      : `the Google Health API answered HTTP ${httpStatus} with a body that is not JSON (truncated?): ${JSON.stringify(start)}`;
    return new UnexpectedResponseError(httpStatus, contentType, start, what);
  }
  const parsed = statusBodySchema.safeParse(json);
  if (!parsed.success) {
    const start = body.slice(0, 200);
    return new UnexpectedResponseError(
      httpStatus,
      contentType,
      start,
      `the Google Health API answered HTTP ${httpStatus} with JSON that is not a google.rpc.Status: ${start}`,
    );
  }
  const e = parsed.data.error;
  let reason: string | null = null;
  let detailedReason: string | null = null;
  const violations: FieldViolation[] = [];
  for (const d of e.details ?? []) {
    const info = errorInfoSchema.safeParse(d);
    if (info.success) {
      reason ??= info.data.reason ?? null;
      const dr = info.data.metadata?.detailedReasons;
      if (dr !== undefined && dr !== '') detailedReason = detailedReason === null ? dr : `${detailedReason},${dr}`;
      continue;
    }
    const bad = badRequestSchema.safeParse(d);
    if (bad.success) {
      for (const v of bad.data.fieldViolations ?? []) violations.push({ field: v.field ?? null, description: v.description ?? '' });
    }
  }
  const status = e.status ?? null;
  const kind = classify(httpStatus, status, reason);
  const detail = [...new Set([reason, ...(detailedReason ?? '').split(',').map((r) => r.trim())].filter((x): x is string => x !== null && x !== ''))];
  const parts = [`Google Health API ${httpStatus}${status ? ` ${status}` : ''}${detail.length ? ` (${detail.join(', ')})` : ''}: ${e.message}`];
  if (violations.length) parts.push(violations.map((v) => `${v.field ?? '?'}: ${v.description}`).join('; '));
  const advice = kind === 'missing-scope' && request !== null ? missingScopeAdvice(request.method, request.path) : ADVICE[kind];
  const err = new HealthApiError(kind, httpStatus, status, reason, detailedReason, parts.join(' — '), parseRetryAfter(retryAfter), advice);
  err.violations.push(...violations);
  return err;
}

/**
 * The API refused the access token again right after a refresh: the authorisation is gone (revoked,
 * or the consent lost), so the account needs a new consent. A `HealthApiError` of kind
 * 'unauthenticated'; `reauthNeeded` is always true.
 */
export function reauthRequiredError(what: string, status: string | null = 'UNAUTHENTICATED'): HealthApiError {
  return new HealthApiError(
    'unauthenticated',
    401,
    status,
    null,
    null,
    `${what}: Google Health API 401${status ? ` ${status}` : ''} again right after a token refresh`,
    null,
    'the authorisation is no longer valid: run `fitbit-bridge auth` again for this account.',
  );
}

export type TransportFailure = 'timeout' | 'network';

/** No usable HTTP answer after every attempt: timeouts, refused or reset connections. */
export class HealthApiTransportError extends BridgeError {
  override readonly name = 'HealthApiTransportError';
  constructor(
    readonly failure: TransportFailure,
    readonly method: string,
    readonly path: string,
    readonly attempts: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, '', EXIT.PARTIAL, options?.cause !== undefined ? { cause: options.cause } : {});
  }

  get retryable(): boolean {
    return true;
  }
}
