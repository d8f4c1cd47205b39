import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HealthApiError, UnexpectedResponseError, healthApiError, parseRetryAfter } from '../../src/sources/google-health/errors.js';

// Bodies verbatim as Google documents them for the Health API (quotas and errors; google.rpc.Status).
const BODIES = {
  unauthenticated:
    '{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. …","status":"UNAUTHENTICATED"}}',
  filter:
    '{"error":{"code":400,"message":"Invalid data point filter: INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"INVALID_DATA_POINT_FILTER","domain":"health.googleapis.com","metadata":{"detailedReasons":"INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"}},{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"filter","description":"Member \'sleep.interval.civil_start_time\' is not supported for filtering. (at line 1, column 1)"}]}]}}',
  notLinked:
    '{"error":{"code":400,"message":"The account is not linked to Google Health.","status":"FAILED_PRECONDITION","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCOUNT_NOT_LINKED","domain":"health.googleapis.com","metadata":{"redirect_uri":"https://fitbit.google.com/auth/signup"}}]}}',
  notFound:
    '{"error":{"code":404,"message":"The requested resource was not found. …","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RESOURCE_NOT_FOUND","domain":"health.googleapis.com"}]}}',
  quota:
    '{"error":{"code":429,"message":"Quota exceeded for quota metric \'Requests\' and limit \'Requests per minute per user\' …","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"googleapis.com"}]}}',
  scopeInsufficient:
    '{"error":{"code":403,"message":"Request had insufficient authentication scopes.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT","domain":"googleapis.com","metadata":{"service":"health.googleapis.com"}}]}}',
  scope:
    '{"error":{"code":403,"message":"Request had insufficient authentication scopes.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"MISSING_OAUTH_SCOPE","domain":"health.googleapis.com"}]}}',
};

const cases: { name: string; http: number; body: string; kind: HealthApiError['kind']; reason: string | null; retryable: boolean; mentions: RegExp }[] = [
  {
    name: '401 UNAUTHENTICATED',
    http: 401,
    body: BODIES.unauthenticated,
    kind: 'unauthenticated',
    reason: null,
    retryable: false,
    mentions: /fitbit-bridge auth/,
  },
  {
    name: '400 INVALID_DATA_POINT_FILTER',
    http: 400,
    body: BODIES.filter,
    kind: 'invalid-filter',
    reason: 'INVALID_DATA_POINT_FILTER',
    retryable: false,
    mentions: /civil_start_time' is not supported/,
  },
  {
    name: '400 ACCOUNT_NOT_LINKED',
    http: 400,
    body: BODIES.notLinked,
    kind: 'account-not-linked',
    reason: 'ACCOUNT_NOT_LINKED',
    retryable: false,
    mentions: /Fitbit app/,
  },
  { name: '404 NOT_FOUND', http: 404, body: BODIES.notFound, kind: 'not-found', reason: 'RESOURCE_NOT_FOUND', retryable: false, mentions: /not found/ },
  {
    name: '429 RESOURCE_EXHAUSTED',
    http: 429,
    body: BODIES.quota,
    kind: 'rate-limited',
    reason: 'RATE_LIMIT_EXCEEDED',
    retryable: true,
    mentions: /300 requests a minute/,
  },
  {
    name: '403 MISSING_OAUTH_SCOPE',
    http: 403,
    body: BODIES.scope,
    kind: 'missing-scope',
    reason: 'MISSING_OAUTH_SCOPE',
    retryable: false,
    mentions: /tick every box on the Google consent page/,
  },
  {
    name: '403 ACCESS_TOKEN_SCOPE_INSUFFICIENT (seen live)',
    http: 403,
    body: BODIES.scopeInsufficient,
    kind: 'missing-scope',
    reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
    retryable: false,
    mentions: /fitbit-bridge auth/,
  },
  {
    name: '503 without details',
    http: 503,
    body: '{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}',
    kind: 'server',
    reason: null,
    retryable: true,
    mentions: /tries again/,
  },
];

for (const c of cases) {
  test(`google.rpc.Status → typed error: ${c.name}`, () => {
    const e = healthApiError(c.http, c.body, 'application/json; charset=UTF-8');
    assert.ok(e instanceof HealthApiError, String(e));
    assert.equal(e.kind, c.kind);
    assert.equal(e.reason, c.reason);
    assert.equal(e.retryable, c.retryable);
    assert.equal(e.httpStatus, c.http);
    assert.match(e.message, c.mentions);
  });
}

test('the detailed filter reason is kept, so the client can fall back to the other sleep member', () => {
  const e = healthApiError(400, BODIES.filter);
  assert.ok(e instanceof HealthApiError);
  assert.equal(e.detailedReason, 'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER');
  assert.deepEqual(e.detailedReasons, ['INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER']);
  assert.deepEqual(e.refusedMembers, ['sleep.interval.civil_start_time']);
});

test('a filter refused term by term (as seen live): every detailed reason and every violation are read', () => {
  const M = 'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER';
  const body = JSON.stringify({
    error: {
      code: 400,
      message: `Invalid data point filter: ${M},${M}.`,
      status: 'INVALID_ARGUMENT',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'INVALID_DATA_POINT_FILTER',
          domain: 'health.googleapis.com',
          metadata: { detailedReasons: `${M},${M}` },
        },
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [
            { field: 'filter', description: "Member 'sleep.interval.civil_start_time' is not supported for filtering. (at line 1, column 1)" },
            { field: 'filter', description: "Member 'sleep.interval.start_time' is not supported for filtering. (at line 1, column 53)" },
          ],
        },
      ],
    },
  });
  const e = healthApiError(400, body);
  assert.ok(e instanceof HealthApiError);
  assert.equal(e.kind, 'invalid-filter');
  assert.notEqual(e.detailedReason, M, 'an equality test against one reason would never match');
  assert.deepEqual(e.detailedReasons, [M, M]);
  assert.deepEqual(e.refusedMembers, ['sleep.interval.civil_start_time', 'sleep.interval.start_time']);
  assert.equal(e.violations.length, 2);
  assert.match(e.message, /column 1\).*column 53\)/);
  assert.match(
    e.message,
    new RegExp(`^Google Health API 400 INVALID_ARGUMENT \\(INVALID_DATA_POINT_FILTER, ${M}\\):`),
    'each reason named once in the summary',
  );
});

test('Retry-After: seconds or an HTTP date', () => {
  assert.equal(parseRetryAfter('7'), 7);
  assert.equal(parseRetryAfter('Wed, 25 Nov 2026 10:00:30 GMT', Date.UTC(2026, 10, 25, 10, 0, 0)), 30);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(parseRetryAfter('soon'), null);
  const e = healthApiError(429, BODIES.quota, 'application/json', '12');
  assert.ok(e instanceof HealthApiError);
  assert.equal(e.retryAfterSeconds, 12);
});

test("Google's HTML 404 page and non-Status bodies are unexpected responses, not crashes", () => {
  const html =
    '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n  <p><b>404.</b> <ins>That’s an error.</ins>';
  const e = healthApiError(404, html, 'text/html; charset=UTF-8');
  assert.ok(e instanceof UnexpectedResponseError);
  assert.match(e.message, /HTML page/);
  assert.match(e.message, /unknown URL/);
  const truncated = healthApiError(200, '{"dataPoints":[{"steps":', 'application/json');
  assert.ok(truncated instanceof UnexpectedResponseError);
  assert.match(truncated.message, /not JSON/);
  const other = healthApiError(500, '{"oops":true}', 'application/json');
  assert.ok(other instanceof UnexpectedResponseError);
});
