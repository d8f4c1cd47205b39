/**
 * google.rpc.Status error bodies of the Google Health API, and the exception the handlers throw.
 * Bodies quoted in the shared reference (google-health-api.md) are reproduced verbatim; the
 * others are *invented* in the same style and say so.
 */

export type Detail = Record<string, unknown> & { '@type': string };

export interface RpcStatusBody {
  error: { code: number; message: string; status: string; details?: Detail[] };
}

export function rpcError(code: number, status: string, message: string, details?: Detail[]): RpcStatusBody {
  return { error: details && details.length ? { code, message, status, details } : { code, message, status } };
}

export function errorInfo(reason: string, domain = 'health.googleapis.com', metadata?: Record<string, string>): Detail {
  const d: Detail = { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain };
  if (metadata) d.metadata = metadata;
  return d;
}

export function badRequest(field: string, description: string): Detail {
  return { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description }] };
}

/** A handler's error answer: HTTP status, body and extra headers. */
export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly body: RpcStatusBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.error.message);
  }
}

/** 400 INVALID_ARGUMENT with one BadRequest field violation (*invented* wording per call site). */
export function invalidArgument(field: string, message: string): ApiError {
  return new ApiError(400, rpcError(400, 'INVALID_ARGUMENT', message, [badRequest(field, message)]));
}

/**
 * Detailed reasons of a rejected filter. Only DATA_TYPE_MEMBER is documented (reference, verbatim);
 * the others are *invented* in the same style.
 */
export type FilterErrorReason =
  'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER' | 'INVALID_DATA_POINT_FILTER_OPERATOR' | 'INVALID_DATA_POINT_FILTER_SYNTAX' | 'INVALID_DATA_POINT_FILTER_VALUE';

/**
 * The 400 body of a rejected filter (shape of the reference's example). Several violations (one
 * per refused term, as seen live): `detailedReasons` joins their reasons with commas, and the
 * BadRequest has one field violation each. The message joins them the same way (*invented*: the
 * live message of a multi-term error was not captured).
 */
export function filterErrorBody(
  reason: FilterErrorReason,
  description: string,
  more: { reason: FilterErrorReason; description: string }[] = [],
): RpcStatusBody {
  const all = [{ reason, description }, ...more];
  const reasons = all.map((v) => v.reason).join(',');
  return rpcError(400, 'INVALID_ARGUMENT', `Invalid data point filter: ${reasons}.`, [
    errorInfo('INVALID_DATA_POINT_FILTER', 'health.googleapis.com', { detailedReasons: reasons }),
    { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: all.map((v) => ({ field: 'filter', description: v.description })) },
  ]);
}

/**
 * 403 for a token without the scope the method needs. `ACCESS_TOKEN_SCOPE_INSUFFICIENT` (default):
 * Google's usual form, seen live (domain googleapis.com; Google's metadata also names the gRPC
 * method, whose name for this API is not known, so only the service is given). `MISSING_OAUTH_SCOPE`
 * (variant `scopeError`): the reason the documentation lists, with an *invented* `requiredScope`.
 */
export function missingScopeBody(
  requiredScope: string,
  reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' | 'MISSING_OAUTH_SCOPE' = 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
): RpcStatusBody {
  const info =
    reason === 'MISSING_OAUTH_SCOPE'
      ? errorInfo('MISSING_OAUTH_SCOPE', 'health.googleapis.com', { requiredScope })
      : errorInfo('ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'googleapis.com', { service: 'health.googleapis.com' });
  return rpcError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', [info]);
}

/** JSON 404 of a resource inside a known collection (reference shape; the text after the first sentence is *invented*). */
export function notFoundBody(what: string): RpcStatusBody {
  return rpcError(404, 'NOT_FOUND', `The requested resource was not found. ${what}`, [errorInfo('RESOURCE_NOT_FOUND')]);
}

/** The reference's ACCOUNT_NOT_LINKED body, verbatim (HTTP 400). */
export const ACCOUNT_NOT_LINKED_BODY: RpcStatusBody = {
  error: {
    code: 400,
    message: 'The account is not linked to Google Health.',
    status: 'FAILED_PRECONDITION',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'ACCOUNT_NOT_LINKED',
        domain: 'health.googleapis.com',
        metadata: { redirect_uri: 'https://fitbit.google.com/auth/signup' },
      },
    ],
  },
};

/** The usual Google per-user rate-limit body (the reference's form; not documented for this API). */
export function quotaExceededBody(limit: number): RpcStatusBody {
  return rpcError(
    429,
    'RESOURCE_EXHAUSTED',
    `Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' of service 'health.googleapis.com' for consumer 'project_number:0'.`,
    [
      errorInfo('RATE_LIMIT_EXCEEDED', 'googleapis.com', {
        service: 'health.googleapis.com',
        quota_metric: 'health.googleapis.com/requests',
        quota_limit: 'RequestsPerMinutePerUser',
        quota_limit_value: String(limit),
        consumer: 'projects/0',
      }),
    ],
  );
}

/** Google's generic 500 and 503 bodies (for fault injection). */
export const INTERNAL_BODY: RpcStatusBody = rpcError(500, 'INTERNAL', 'Internal error encountered.');
export const UNAVAILABLE_BODY: RpcStatusBody = rpcError(503, 'UNAVAILABLE', 'The service is currently unavailable.');
